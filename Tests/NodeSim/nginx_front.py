#!/usr/bin/env python3
"""The web front as the node reaches it: Debian's nginx with the shipped site
(contrib/nginx/timmyd.conf), listening on the loopback port REPORT_URL names
inside the sim's network namespace and proxying to timmyd's Unix socket (the
file system is shared, so the socket is reachable from the namespace).

  nginx_front.py SOCKET PORT FOLDER   (execs nginx in the foreground)"""

import os
import shutil
import sys

socket, port, folder = sys.argv[1], sys.argv[2], sys.argv[3]
repository = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(repository, "contrib/nginx/timmyd.conf"), encoding="utf-8") as handle:
    site = handle.read()
os.makedirs(os.path.join(folder, "temp"), exist_ok=True)
os.makedirs(os.path.join(folder, "logs"), exist_ok=True)
web = os.path.join(folder, "web")
if not os.path.exists(web):
    shutil.copytree(os.path.join(repository, "contrib/web"), web)
for shipped, local in [("listen 80;", f"listen 127.0.0.1:{port};"), ("listen [::]:80;", ""),
                       ("/run/timmyd/timmyd.sock", socket), ("/usr/local/share/timmyd/web", web),
                       ("/var/log/nginx/timmyd.access.log", os.path.join(folder, "access.log"))]:
    if shipped not in site:
        sys.exit(f"nginx_front: contrib/nginx/timmyd.conf no longer has {shipped}")
    site = site.replace(shipped, local)
with open(os.path.join(folder, "timmyd.conf"), "w", encoding="utf-8") as handle:
    handle.write(site)
temp = os.path.join(folder, "temp")
with open(os.path.join(folder, "nginx.conf"), "w", encoding="utf-8") as handle:
    handle.write(f"""user root root;
worker_processes 1;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {folder}/timmyd.conf;
}}
""")
os.execv("/usr/sbin/nginx", ["nginx", "-p", folder, "-c", os.path.join(folder, "nginx.conf"),
                             "-g", f"daemon off; pid {folder}/nginx.pid; error_log stderr;"])
