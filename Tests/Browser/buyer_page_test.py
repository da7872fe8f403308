#!/usr/bin/python3
"""Drives the buyer page in headless Chromium, at a phone's width. The "purchase"
scenario: buy, copy the invoice, pay, watch it reach "ready", download the SSH
key in a second tab, which confirms receipt (the first is then refused, 409), check the key with
ssh-keygen, reload, cancel a purchase, let one expire (when invoices are short),
buy one with the event stream blocked (polling), open a bad link. The "failure"
scenario (for a daemon whose stub provisioning is told to fail): buy, pay, see
the failed step, ask for a refund with a bad invoice (the error is shown), then,
if the daemon takes refunds, with a stub refund invoice until "refunded". The "setup"
scenario (for a daemon provisioning on the fake cloud with NODE_CALLBACK_URL): buy, pay,
reach "ready", then post the node's setup reports through the proxy with the token from
the node's user_data (read from the fake cloud) and watch the page show each step, a
failed step with what to do, and "software is running". Screenshots of each state go to --screenshots.

Run with Debian's python3 (python3-selenium, chromium, chromium-driver), e.g.

    /usr/bin/python3 Tests/Browser/buyer_page_test.py --base-url http://127.0.0.1:8080/ \
        --screenshots /tmp/shots \
        --pay-command 'timmyctl simulate-payment --socket /run/timmyd/timmyd.sock {jobId}'

Exits 0 when every step passed. Prints the time from the pay command returning
to the page showing "ready", as measured by the page's own clock.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlparse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

PHONE_WIDTH = 412  # a common phone's CSS width: the page must read well there

# Records, in the page, when #status first shows each state (Date.now(), the same
# clock as time.time() here), so the paid→ready time is not blurred by polling.
RECORD_STATES = """
window.stateTimes = {};
const status = document.getElementById('status');
const note = () => { window.stateTimes[status.dataset.state] ??= Date.now(); };
note();
new MutationObserver(note).observe(status, {attributes: true, attributeFilter: ['data-state']});
"""


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


class BuyerPageTest:
    def __init__(self, args):
        self.args = args
        self.base = args.base_url
        self.shots = args.screenshots
        os.makedirs(self.shots, exist_ok=True)
        stale = os.path.join(self.shots, f"failure-{args.scenario}.png")
        if os.path.exists(stale):
            os.remove(stale)  # from an earlier run; it would suggest this one failed
        self.downloads = args.download_dir or tempfile.mkdtemp(prefix="timmy-downloads-")
        os.makedirs(self.downloads, exist_ok=True)
        self.tokens = []
        self.driver = self.start_browser()

    def start_browser(self):
        options = webdriver.ChromeOptions()
        options.binary_location = self.args.chromium
        for flag in ("--headless=new", "--no-sandbox",  # CI runs as root, where the sandbox cannot start
                     "--disable-dev-shm-usage", "--disable-gpu"):
            options.add_argument(flag)
        options.add_experimental_option("prefs", {
            "download.default_directory": self.downloads,
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        })
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=self.args.chromedriver), options=options)
        # Headless Chrome may ignore the download prefs; this makes downloads land where we look.
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.downloads})
        self.emulate_phone(driver, 900)
        return driver

    @staticmethod
    def emulate_phone(driver, height):
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE_WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": True})

    # MARK: helpers

    def wait(self, what, condition, timeout=None):
        try:
            return WebDriverWait(self.driver, timeout or self.args.timeout, poll_frequency=0.05).until(
                lambda driver: condition())
        except Exception as error:
            raise Failure(f"timed out waiting for {what}; status is {self.status()!r}") from error

    def state(self):
        return self.driver.find_element(By.ID, "status").get_attribute("data-state")

    def status(self):
        try:
            element = self.driver.find_element(By.ID, "status")
            return f"{element.get_attribute('data-state')}: {element.text}"
        except Exception:
            return "(no #status)"

    def wait_for_state(self, state, timeout=None):
        self.wait(f'data-state="{state}"', lambda: self.state() == state, timeout)

    def visible(self, element_id):
        elements = self.driver.find_elements(By.ID, element_id)
        return bool(elements) and elements[0].is_displayed()

    def click(self, element_id):
        self.wait(f"#{element_id} to be clickable",
                  lambda: self.visible(element_id) and self.driver.find_element(By.ID, element_id).is_enabled())
        self.driver.find_element(By.ID, element_id).click()

    def screenshot(self, name):
        # The whole page on a phone: make the screen as tall as the page for the picture.
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.emulate_phone(self.driver, max(600, min(height, 4000)))
        path = os.path.join(self.shots, name + ".png")
        self.driver.save_screenshot(path)
        self.emulate_phone(self.driver, 900)
        print(f"screenshot: {path}", flush=True)

    def fragment(self):
        fields = parse_qs(urlparse(self.driver.current_url).fragment)
        return fields.get("job", [None])[0], fields.get("token", [None])[0]

    def open_offer(self):
        self.driver.get(self.base)
        self.wait_for_state("idle")
        check(self.visible("buy"), "the Buy button is shown")

    def buy(self):
        self.click("buy")
        self.wait_for_state("awaiting_payment")
        job_id, token = self.fragment()
        check(job_id and token, f"the URL fragment names the job and token: {self.driver.current_url}")
        self.tokens.append(token)
        return job_id

    def check_console(self, expected=()):
        """No errors in the browser console (script errors, CSP violations), except the
        failed responses in `expected`, as (path end, status): Chrome logs every 4xx/5xx."""
        def wanted(message):
            return any(f"{path} - " in message and f"status of {status}" in message for path, status in expected)
        errors = [entry for entry in self.driver.get_log("browser")
                  if entry.get("level") == "SEVERE" and not wanted(entry.get("message", ""))]
        check(not errors, f"no errors in the browser console: {errors}")

    # MARK: the steps

    def run(self):
        job_id = self.buy_and_pay_until_ready()
        self.hand_over_the_key(job_id)
        self.cancel_and_expire()
        self.follow_without_the_stream()
        self.open_a_bad_link()
        self.check_access_log()

    def buy_and_pay_until_ready(self):
        self.open_offer()
        check("sats" in self.driver.find_element(By.ID, "offer").text, "the offer shows a price in sats")
        self.screenshot("01-offer")

        job_id = self.buy()
        bolt11 = self.driver.find_element(By.ID, "bolt11").get_attribute("value")
        check(bolt11.lower().startswith("ln"), f"the invoice text is a bolt11 invoice: {bolt11[:20]!r}")
        self.wait("the invoice QR code", lambda: self.driver.execute_script(
            "const qr = document.getElementById('invoice-qr'); return !qr.hidden && qr.complete && qr.naturalWidth > 0"))
        self.wait("the countdown", lambda: ":" in self.driver.find_element(By.ID, "countdown").text)
        focused = self.driver.execute_script("return document.activeElement.id")
        check(focused == "invoice-title", f"focus moved from Buy to the invoice's heading, not {focused!r}")
        self.click("copy-bolt11")
        self.wait("the copy button to confirm", lambda: self.driver.find_element(By.ID, "copy-bolt11").text == "Copied")
        self.screenshot("02-invoice")

        self.driver.execute_script(RECORD_STATES)
        paid_at = self.pay(job_id)

        # A short stub provisioning may be over before a screenshot; say so and go on.
        try:
            self.wait_for_state("provisioning", timeout=10)
            self.screenshot("03-provisioning")
        except Failure:
            print("note: the page went past provisioning before it could be photographed", flush=True)
        self.wait_for_state("ready", timeout=max(self.args.timeout, 120))
        times = self.driver.execute_script("return window.stateTimes")
        ready_ms = times["ready"] - paid_at
        print(f"paid→ready: {ready_ms:.0f} ms (from the pay command returning to the page showing ready)",
              flush=True)
        self.results["paidToReadyMs"] = round(ready_ms)
        ipv4 = self.driver.find_element(By.ID, "node-ipv4").text
        check(ipv4.count(".") == 3, f"the node's address is shown: {ipv4!r}")
        check(self.visible("download-key"), "the Download SSH key button is shown")
        self.page_url = self.driver.current_url
        self.screenshot("04-ready")
        # The page follows the system's dark setting; photograph that too.
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                    {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        self.screenshot("04-ready-dark")
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        return job_id

    def hand_over_the_key(self, job_id):
        # A second tab on the same purchase downloads the key first and confirms receipt,
        # so the daemon wipes it: the first tab, still offering the button, must then say
        # the key is gone (409), not fail. (Before the confirmation it would get the key.)
        first_tab = self.driver.current_window_handle
        self.driver.switch_to.new_window("tab")
        self.driver.get(self.page_url)
        self.wait_for_state("ready")
        self.download_key(job_id)
        self.wait("the page to confirm receipt", lambda: self.visible("key-receipt"))
        self.results["jobId"] = job_id
        self.screenshot("05-key-saved")
        self.driver.close()
        self.driver.switch_to.window(first_tab)
        self.click("download-key")
        self.wait("the already-downloaded note after a 409", lambda: self.visible("key-claimed"))
        check(self.visible("error"), "the daemon's answer to the second claim is shown")
        self.screenshot("05-already-claimed")

        self.driver.refresh()
        self.wait_for_state("ready")
        self.wait("the already-downloaded note", lambda: self.visible("key-claimed"))
        check(not self.visible("download-key"), "no second download is offered after a reload")
        check(self.fragment()[0] == job_id, "the reload kept the job in the fragment")
        self.screenshot("06-key-claimed")

        self.check_console(expected=[("/key", 409)])

    def cancel_and_expire(self):
        self.open_offer()
        self.buy()
        self.click("cancel")
        self.wait_for_state("cancelled")
        check(self.visible("start-again"), "a cancelled purchase offers to start again")
        self.screenshot("07-cancelled")
        self.click("start-again")
        self.wait_for_state("idle")
        check(self.fragment() == (None, None), "starting again clears the fragment")

        expiry = self.driver.execute_script(
            "return fetch('api/info').then((r) => r.json()).then((info) => info.invoiceExpirySeconds)")
        if expiry <= self.args.max_expiry_wait:
            self.buy()
            self.wait_for_state("expired", timeout=expiry + 30)
            check(self.visible("start-again"), "an expired purchase offers to start again")
            self.screenshot("08-expired")
        else:
            print(f"note: invoices expire after {expiry} s; not waiting for one", flush=True)

        self.check_console()

    def follow_without_the_stream(self):
        """With the events stream blocked (a proxy that breaks it, say), the page
        still gets to "ready" by polling the status."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/events"]})
        try:
            self.open_offer()
            job_id = self.buy()
            self.driver.execute_script(RECORD_STATES)
            paid_at = self.pay(job_id)
            self.wait_for_state("ready", timeout=max(self.args.timeout, 120))
            ready_ms = self.driver.execute_script("return window.stateTimes")["ready"] - paid_at
            print(f"paid→ready with the stream blocked (polling): {ready_ms:.0f} ms", flush=True)
        finally:
            self.driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
            self.driver.get_log("browser")  # the blocked requests' errors, expected here

    def open_a_bad_link(self):
        self.driver.get(self.base + "#job=00000000-0000-0000-0000-000000000000&token=wrong")
        self.wait_for_state("unknown")
        self.screenshot("09-bad-link")

    def check_access_log(self):
        if self.args.access_log:
            with open(self.args.access_log, encoding="utf-8", errors="replace") as log:
                text = log.read()
            check(text.strip(), "the proxy's access log has entries")
            leaked = [token for token in self.tokens if token in text]
            check(not leaked, "no access token appears in the proxy's access log")

    def run_failure(self):
        self.open_offer()
        job_id = self.buy()
        self.pay(job_id)
        self.wait_for_state("failed", timeout=max(self.args.timeout, 120))
        check(self.visible("refund-form"), "a failed purchase shows the refund form")
        failed_steps = self.driver.find_elements(By.CSS_SELECTOR, "#phases li.failed")
        check(len(failed_steps) == 1, "the step that failed is marked")
        self.screenshot("10-failed")
        # Not an invoice the daemon can pay: whatever it answers, the page must say it.
        answer = self.ask_for_refund("lnbcrt1pnotarealinvoice")
        check(self.driver.find_element(By.ID, "refund-result").get_attribute("data-outcome") == "error",
              f"a refused refund reads as an error: {answer!r}")
        self.screenshot("11-refund-answer")
        if not answer.startswith("This shop cannot take refund requests"):
            # A daemon that takes refunds, on stub payments: a stub refund invoice is paid.
            amount = self.driver.find_element(By.ID, "refund-max").text.replace(",", "")
            self.ask_for_refund(f"lnstubrefund{amount}sat1browser", wait_for_answer=False)
            # The form goes away with the state; the status line says what happened.
            self.wait_for_state("refunded", timeout=max(self.args.timeout, 60))
            print(f"refunded: {self.status()}", flush=True)
            self.screenshot("12-refunded")
        # Until the daemon takes refunds it answers 501; once it does, a bad invoice is a
        # 4xx, or a 502/503 when the payment backend refuses it.
        self.check_console(expected=[("/refund", status) for status in (400, 409, 501, 502, 503)])
        self.check_access_log()

    def run_setup(self):
        self.open_offer()
        job_id = self.buy()
        self.pay(job_id)
        self.wait_for_state("ready", timeout=max(self.args.timeout, 120))
        setup = lambda: self.driver.find_element(By.ID, "setup-view").get_attribute("data-setup")
        check(setup() == "installing", f"a reporting node is shown installing, not {setup()!r}")
        check(self.driver.find_element(By.ID, "ready-title").text == "Your machine is up", "the title says machine, not node")
        check(self.status().startswith("ready: Machine up"), f"the status says the machine is up: {self.status()!r}")
        token = self.node_token(job_id)

        self.report(job_id, token, {"step": "lnd", "state": "running"})
        self.wait("step 8 to be current", lambda: "step 8 of 10" in self.status()
                  and self.driver.find_elements(By.CSS_SELECTOR, '#setup-steps li[data-step="lnd"][aria-current="step"]'))
        done = self.driver.find_elements(By.CSS_SELECTOR, "#setup-steps li.done")
        check(len(done) == 7, f"the seven steps before LND are ticked, not {len(done)}")
        self.screenshot("20-setup-installing")

        self.report(job_id, token, {"step": "lnd", "state": "failed", "message": "wallet init timed out"})
        self.wait("the failed step", lambda: setup() == "failed")
        failed = self.driver.find_element(By.CSS_SELECTOR, "#setup-steps li.failed").text
        check("wallet init timed out" in failed, f"the failed step shows the node's note: {failed!r}")
        steps = self.driver.find_element(By.ID, "next-steps").text
        check("/var/log/timmy-node-setup.log" in steps and "bash /opt/timmy-node/setup.sh" in steps,
              f"the next steps say how to look and run the setup again: {steps!r}")
        self.screenshot("21-setup-failed")

        # The buyer ran the setup again and it finished; the page shows it after a reload.
        self.report(job_id, token, {"step": "complete", "state": "done"})
        self.driver.refresh()
        self.wait("setup complete", lambda: setup() == "complete")
        check(self.status() == "ready: Your node's software is running.", f"the status says so: {self.status()!r}")
        check(self.driver.find_element(By.ID, "ready-title").text == "Your node is ready", "and the title")
        self.screenshot("22-setup-complete")
        self.check_console()
        self.check_access_log()
        print(f"setup reports shown for {job_id}", flush=True)

    def node_token(self, job_id):
        """The token rendered into the job's droplet user_data, as the fake cloud recorded it."""
        with urllib.request.urlopen(self.args.fake_cloud_url.rstrip("/") + "/_fake/state", timeout=10) as answer:
            state = json.load(answer)
        droplets = [d for d in state.get("droplets", []) if f"timmy-job-{job_id}" in d.get("tags", [])]
        check(len(droplets) == 1, f"one droplet for the job, not {len(droplets)}")
        user_data = droplets[0]["_createRequest"]["user_data"]
        lines = [line for line in user_data.splitlines() if line.startswith("REPORT_TOKEN='")]
        check(len(lines) == 1, "the user_data carries the node token")
        return lines[0][len("REPORT_TOKEN='"):-1]

    def report(self, job_id, token, body):
        """Posts a setup report through the proxy, as the node does."""
        request = urllib.request.Request(
            self.base + f"api/nodes/{job_id}/setup", data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                check(answer.status == 204, f"the report was accepted: {answer.status}")
        except urllib.error.HTTPError as error:
            raise Failure(f"the report was refused: {error.code} {error.read()[:300]!r}") from error

    def ask_for_refund(self, bolt11, wait_for_answer=True):
        field = self.driver.find_element(By.ID, "refund-bolt11")
        field.clear()
        field.send_keys(bolt11)
        self.click("refund-submit")
        if not wait_for_answer:
            return None
        self.wait("the refund answer", lambda: self.driver.find_element(By.ID, "refund-result").text
                  not in ("", "Asking for the refund…"))
        answer = self.driver.find_element(By.ID, "refund-result").text
        print(f"refund answer: {answer}", flush=True)
        return answer

    def pay(self, job_id):
        command = [part.replace("{jobId}", job_id) for part in shlex.split(self.args.pay_command)]
        paid = subprocess.run(command, capture_output=True, text=True, timeout=60)
        check(paid.returncode == 0, f"the pay command succeeded: {paid.stderr.strip()}")
        return time.time() * 1000

    def download_key(self, job_id):
        name = f"timmy-{job_id[:8]}.key"
        path = os.path.join(self.downloads, name)
        self.click("download-key")
        # Chrome writes NAME.crdownload and renames it when done.
        self.wait(f"{path} to be downloaded", lambda: os.path.exists(path) and os.path.getsize(path) > 0)
        check(self.visible("key-saved"), "the page says where the key was saved")
        os.chmod(path, 0o600)  # ssh-keygen, like ssh, refuses a key others can read
        derived = subprocess.run(["ssh-keygen", "-y", "-f", path], capture_output=True, text=True)
        check(derived.returncode == 0, f"ssh-keygen -y reads the downloaded key: {derived.stderr.strip()}")
        fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", path], capture_output=True, text=True).stdout.split()
        shown = self.driver.find_element(By.ID, "node-fingerprint").text
        check(len(fingerprint) > 1 and fingerprint[1] == shown,
              f"the key's fingerprint {fingerprint[1:2]} is the one the page shows ({shown})")
        self.results["key"] = path

    def main(self):
        self.results = {}
        try:
            {"failure": self.run_failure, "setup": self.run_setup}.get(self.args.scenario, self.run)()
            print("RESULT " + json.dumps(self.results), flush=True)
            print("buyer page test: passed", flush=True)
            return 0
        except Exception as error:
            traceback.print_exc()
            print(f"buyer page test: FAILED: {error}", file=sys.stderr, flush=True)
            try:
                self.screenshot(f"failure-{self.args.scenario}")
                for entry in self.driver.get_log("browser"):
                    print(f"console: {entry.get('level')} {entry.get('message')}", file=sys.stderr)
            except Exception:
                pass
            return 1
        finally:
            self.driver.quit()


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True, help="where the page is served, e.g. http://127.0.0.1:8080/")
    parser.add_argument("--screenshots", required=True, help="a folder for the PNG screenshots")
    parser.add_argument("--pay-command", required=True,
                        help="pays a job's invoice; {jobId} is replaced by the job id (split like a shell, not run by one)")
    parser.add_argument("--scenario", choices=["purchase", "failure", "setup"], default="purchase")
    parser.add_argument("--fake-cloud-url", help="setup scenario: the fake cloud's base URL, to read the node's token")
    parser.add_argument("--download-dir", help="where Chromium saves the key (default: a new temporary folder)")
    parser.add_argument("--access-log", help="the proxy's access log, checked for leaked tokens at the end")
    parser.add_argument("--max-expiry-wait", type=int, default=60,
                        help="let an invoice expire when invoices last at most this many seconds")
    parser.add_argument("--timeout", type=float, default=20, help="seconds to wait for each step")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    arguments = parser.parse_args()
    if not arguments.base_url.endswith("/"):
        arguments.base_url += "/"
    return arguments


if __name__ == "__main__":
    sys.exit(BuyerPageTest(parse_arguments()).main())
