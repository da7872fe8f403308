/// The one template every node's user_data comes from. `UserDataRenderer` fills
/// `@RENDERED_INPUTS@` with the job's shell-quoted values and pastes in the two
/// pieces below; nothing else varies from job to job.
///
/// The script runs once, as root, in cloud-init's final stage on a fresh Debian
/// or Ubuntu droplet. It is written to be safe to run again (each step checks
/// before it changes anything), logs to /var/log/timmy-node-setup.log, and
/// generates every password on the node itself.
enum NodeUserData {
    /// `prune_target_mib FREE_MIB`: the `prune=` value (MiB of blocks to keep) for
    /// a data disk with FREE_MIB free. It leaves 20 GiB for the chainstate (the UTXO
    /// set, which pruning does not shrink), LND, LNbits and logs, keeps a quarter of
    /// the rest free for growth, and never goes under Bitcoin Core's minimum of 550.
    static let pruneFunction = #"""
        prune_target_mib() {
          local free_mib=$1 reserve_mib=20480 target
          target=$(( (free_mib - reserve_mib) * 3 / 4 ))
          if (( target < 550 )); then
            target=550
          fi
          echo "$target"
        }
        """#

    /// `/opt/timmy-node/ops.sh`: the buyer's everyday commands.
    static let opsScript = #"""
        #!/bin/bash
        # ops.sh - look after this timmy node.
        #   ops.sh sync                 how far bitcoind and LND have synced
        #   ops.sh status               containers, disks, tailnet
        #   ops.sh logs [SERVICE] [-f]  recent logs (bitcoind, lnd or lnbits)
        set -euo pipefail
        cd /opt/timmy-node

        case "${1:-}" in
          sync)
            echo "== bitcoind"
            docker compose exec -T -u bitcoin bitcoind bitcoin-cli getblockchaininfo \
              | jq '{chain, blocks, headers, verificationprogress, initialblockdownload, pruned, size_on_disk}'
            echo "== lnd"
            docker compose exec -T lnd lncli getinfo \
              | jq '{alias, identity_pubkey, block_height, synced_to_chain, synced_to_graph, num_peers, num_active_channels}'
            ;;
          status)
            docker compose ps
            echo
            df -h / /mnt/timmy-data 2>/dev/null || true
            if command -v tailscale >/dev/null 2>&1; then
              echo
              tailscale status --peers=false || true
            fi
            ;;
          logs)
            shift
            docker compose logs --tail=200 "$@"
            ;;
          *)
            echo "usage: $0 sync | status | logs [bitcoind|lnd|lnbits] [-f]" >&2
            exit 64
            ;;
        esac
        """#

    static let template = #"""
        #!/bin/bash
        # timmy node setup: cloud-init user_data rendered by timmyd for one job.
        # It runs once, as root, at the droplet's first boot. Operators can review
        # exactly this text with `timmyctl render-user-data`.
        #
        # Components: Docker + compose plugin, Tailscale, UFW, the block volume (if
        # any), Bitcoin Core, LND and LNbits in containers. Every password is made
        # here, from /dev/urandom, and written to /root/node-credentials.txt (0600).
        set -euo pipefail
        umask 022
        export DEBIAN_FRONTEND=noninteractive
        exec > >(tee -a /var/log/timmy-node-setup.log) 2>&1
        trap 'echo "timmy-node: setup failed at line ${LINENO}" >&2' ERR

        # --- Rendered by timmyd for this job (each value shell-quoted) ---
        @RENDERED_INPUTS@

        # --- Fixed from here on ---
        NODE_DIR=/opt/timmy-node
        LND_DIR=$NODE_DIR/lnd
        LNBITS_DIR=$NODE_DIR/lnbits
        SECRETS_FILE=$NODE_DIR/secrets.env
        CREDENTIALS_FILE=/root/node-credentials.txt
        DATA_MOUNT=/mnt/timmy-data
        # Containers talk over this network; bitcoind's RPC is open to it alone.
        DOCKER_SUBNET=172.30.0.0/24
        LND_REST=https://127.0.0.1:8080
        MACAROON=$LND_DIR/data/chain/bitcoin/mainnet/admin.macaroon

        log() { printf '%s timmy-node: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

        # retry ATTEMPTS DELAY COMMAND...: run COMMAND until it succeeds.
        retry() {
          local attempts=$1 delay=$2 i
          shift 2
          for ((i = 1; i <= attempts; i++)); do
            if "$@"; then
              return 0
            fi
            sleep "$delay"
          done
          return 1
        }

        # 24 random bytes as 48 hex digits.
        random_secret() { od -An -v -N24 -tx1 /dev/urandom | tr -d ' \n'; }

        # apt-get, waiting out the locks that first-boot upgrades may hold.
        apt_get() { retry 10 15 apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }

        @PRUNE_FUNCTION@

        mkdir -p "$NODE_DIR"
        chmod 0755 "$NODE_DIR"
        log "setting up $NODE_NAME"

        # --- Packages ---
        # shellcheck source=/dev/null
        . /etc/os-release
        case "${ID:-}" in
          debian | ubuntu) ;;
          *)
            log "unsupported distribution '${ID:-unknown}' (need Debian or Ubuntu)"
            exit 1
            ;;
        esac
        if [ -z "${VERSION_CODENAME:-}" ]; then
          log "no VERSION_CODENAME in /etc/os-release"
          exit 1
        fi
        apt_get update
        apt_get install ca-certificates curl gnupg jq ufw e2fsprogs util-linux

        # A little swap keeps bitcoind's first sync from being killed on small droplets.
        if [ -z "$(swapon --show=NAME --noheadings)" ] && [ ! -e /swapfile ]; then
          fallocate -l 2G /swapfile
          chmod 600 /swapfile
          mkswap /swapfile
          swapon /swapfile
          echo '/swapfile none swap sw 0 0' >>/etc/fstab
        fi

        # --- Docker (Docker's own apt repository) ---
        # Published ports bypass UFW (Docker writes its own iptables rules), so
        # ports are published on 127.0.0.1 unless a rule below says otherwise.
        install -d -m 0755 /etc/docker
        if [ ! -f /etc/docker/daemon.json ]; then
          cat >/etc/docker/daemon.json <<'JSON'
        {
          "ip": "127.0.0.1",
          "log-driver": "json-file",
          "log-opts": { "max-size": "10m", "max-file": "3" }
        }
        JSON
        fi
        if ! command -v docker >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
          log "installing Docker"
          install -d -m 0755 /etc/apt/keyrings
          curl -fsSL "https://download.docker.com/linux/${ID}/gpg" -o /etc/apt/keyrings/docker.asc
          chmod a+r /etc/apt/keyrings/docker.asc
          echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/${ID} ${VERSION_CODENAME} stable" \
            >/etc/apt/sources.list.d/docker.list
          apt_get update
          apt_get install docker-ce docker-ce-cli containerd.io docker-compose-plugin
        fi
        systemctl enable --now docker

        # --- Tailscale ---
        if ! command -v tailscale >/dev/null 2>&1; then
          log "installing Tailscale"
          curl -fsSL "https://pkgs.tailscale.com/stable/${ID}/${VERSION_CODENAME}.noarmor.gpg" \
            -o /usr/share/keyrings/tailscale-archive-keyring.gpg
          curl -fsSL "https://pkgs.tailscale.com/stable/${ID}/${VERSION_CODENAME}.tailscale-keyring.list" \
            -o /etc/apt/sources.list.d/tailscale.list
          apt_get update
          apt_get install tailscale
        fi
        systemctl enable --now tailscaled
        TS_IP=""
        if [ -n "$TS_AUTHKEY" ]; then
          ts_args=(up "--authkey=$TS_AUTHKEY" "--hostname=$TS_HOSTNAME")
          if [ -n "$TS_TAGS" ]; then
            ts_args+=("--advertise-tags=$TS_TAGS")
          fi
          if retry 5 10 tailscale "${ts_args[@]}"; then
            TS_IP=$(tailscale ip -4 | head -n 1 || true)
            if [[ ! "$TS_IP" =~ ^100\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
              log "WARNING: unexpected tailnet address '$TS_IP'; LNbits stays on loopback"
              TS_IP=""
            fi
          else
            log "WARNING: could not join the tailnet; continuing without it"
          fi
          unset ts_args
        else
          log "no Tailscale auth key: run 'tailscale up' yourself to join a tailnet"
        fi

        # --- Firewall ---
        ufw default deny incoming
        ufw default allow outgoing
        ufw allow 22/tcp
        ufw allow 8333/tcp
        ufw allow 9735/tcp
        ufw --force enable

        # --- Block volume: found by its DigitalOcean id, formatted only if blank ---
        find_volume() {
          local link
          for link in "/dev/disk/by-id/scsi-0DO_Volume_$VOLUME_NAME" /dev/disk/by-id/scsi-0DO_Volume_*; do
            if [ -e "$link" ]; then
              readlink -f "$link"
              return 0
            fi
          done
          return 1
        }
        DATA_DIR=$NODE_DIR/data
        VOLUME_MOUNTED=0
        if ((VOLUME_GB > 0)); then
          device=""
          for _ in $(seq 1 60); do
            if device=$(find_volume); then
              break
            fi
            sleep 5
          done
          if [ -z "$device" ]; then
            log "WARNING: no block volume appeared; keeping the chain on the root disk"
          else
            fs_type=$(blkid -p -o value -s TYPE "$device" || true)
            table_type=$(blkid -p -o value -s PTTYPE "$device" || true)
            if [ -z "$fs_type" ] && [ -z "$table_type" ]; then
              log "formatting blank volume $device"
              mkfs.ext4 -q -m 0 -L timmy-data "$device"
              fs_type=ext4
            fi
            existing=$(findmnt -n -o TARGET --source "$device" | head -n 1 || true)
            if [ -n "$existing" ]; then
              DATA_DIR=$existing
              VOLUME_MOUNTED=1
            elif [ -n "$fs_type" ]; then
              uuid=$(blkid -o value -s UUID "$device")
              mkdir -p "$DATA_MOUNT"
              if ! grep -q "^UUID=$uuid " /etc/fstab; then
                echo "UUID=$uuid $DATA_MOUNT $fs_type defaults,nofail,noatime,discard 0 2" >>/etc/fstab
              fi
              mount "$DATA_MOUNT"
              DATA_DIR=$DATA_MOUNT
              VOLUME_MOUNTED=1
            else
              log "WARNING: $device holds a partition table; leaving it alone"
            fi
          fi
        fi
        BITCOIN_DIR=$DATA_DIR/bitcoin
        mkdir -p "$BITCOIN_DIR" "$LND_DIR" "$LNBITS_DIR"
        log "chain data in $BITCOIN_DIR"

        # --- Passwords, made here and kept for re-runs ---
        if [ ! -s "$SECRETS_FILE" ]; then
          (
            umask 077
            printf 'BITCOIN_RPC_PASSWORD=%s\nLND_WALLET_PASSWORD=%s\n' "$(random_secret)" "$(random_secret)" >"$SECRETS_FILE"
          )
        fi
        chmod 600 "$SECRETS_FILE"
        # shellcheck source=/dev/null
        . "$SECRETS_FILE"
        if [ ! -s "$CREDENTIALS_FILE" ]; then
          (
            umask 077
            cat >"$CREDENTIALS_FILE" <<CREDENTIALS
        # $NODE_NAME - made on this node at first boot. Keep this file secret,
        # copy the seed onto paper, then consider deleting the seed from here.
        bitcoind RPC user:     timmy
        bitcoind RPC password: $BITCOIN_RPC_PASSWORD
        LND wallet password:   $LND_WALLET_PASSWORD
        CREDENTIALS
          )
        fi
        chmod 600 "$CREDENTIALS_FILE"

        # --- Images ---
        log "pulling $BITCOIN_IMAGE $LND_IMAGE $LNBITS_IMAGE"
        for image in "$BITCOIN_IMAGE" "$LND_IMAGE" "$LNBITS_IMAGE"; do
          retry 5 15 docker pull -q "$image"
        done

        # --- Bitcoin node: full only on a volume that holds the chain, else pruned ---
        if [ ! -f "$BITCOIN_DIR/bitcoin.conf" ]; then
          if [ "$CHAIN_MODE" = full ] && [ "$VOLUME_MOUNTED" = 1 ]; then
            prune_line="# full node: the volume holds the whole chain"
          else
            free_mib=$(df --output=avail -m "$BITCOIN_DIR" | tail -n 1 | tr -d ' ')
            prune_line="prune=$(prune_target_mib "$free_mib")"
          fi
          log "bitcoind: $prune_line"
          (
            umask 077
            cat >"$BITCOIN_DIR/bitcoin.conf" <<BITCOIN
        server=1
        $prune_line
        dbcache=512
        maxmempool=300
        rpcuser=timmy
        rpcpassword=$BITCOIN_RPC_PASSWORD
        rpcbind=0.0.0.0
        rpcallowip=$DOCKER_SUBNET
        zmqpubrawblock=tcp://0.0.0.0:28332
        zmqpubrawtx=tcp://0.0.0.0:28333
        printtoconsole=1
        BITCOIN
          )
        fi

        # --- LND: unlocks itself from a password file; the wallet is made below over REST ---
        if [ ! -f "$LND_DIR/lnd.conf" ]; then
          public_ip=$(curl -fsS --max-time 5 http://169.254.169.254/metadata/v1/interfaces/public/0/ipv4/address || true)
          external_line="# no public address from the droplet metadata"
          if [[ "$public_ip" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
            external_line="externalip=$public_ip:9735"
          fi
          (
            umask 077
            printf '%s' "$LND_WALLET_PASSWORD" >"$LND_DIR/wallet-password"
            cat >"$LND_DIR/lnd.conf" <<LND
        [Application Options]
        alias=$NODE_NAME
        listen=0.0.0.0:9735
        $external_line
        rpclisten=0.0.0.0:10009
        restlisten=0.0.0.0:8080
        tlsextradomain=lnd
        tlsextraip=127.0.0.1
        wallet-unlock-password-file=/root/.lnd/wallet-password
        wallet-unlock-allow-create=true

        [Bitcoin]
        bitcoin.mainnet=true
        bitcoin.node=bitcoind

        [Bitcoind]
        bitcoind.rpchost=bitcoind:8332
        bitcoind.rpcuser=timmy
        bitcoind.rpcpass=$BITCOIN_RPC_PASSWORD
        bitcoind.zmqpubrawblock=tcp://bitcoind:28332
        bitcoind.zmqpubrawtx=tcp://bitcoind:28333
        LND
          )
        fi
        touch "$LNBITS_DIR/lnbits.env"
        chmod 600 "$LNBITS_DIR/lnbits.env"

        # --- Compose file: LNbits is published on loopback (and the tailnet address), never 0.0.0.0 ---
        lnbits_ports='      - "127.0.0.1:5000:5000"'
        if [ -n "$TS_IP" ]; then
          lnbits_ports+=$'\n'"      - \"$TS_IP:5000:5000\""
        fi
        cat >"$NODE_DIR/docker-compose.yml" <<COMPOSE
        name: timmy-node
        services:
          bitcoind:
            image: $BITCOIN_IMAGE
            restart: unless-stopped
            stop_grace_period: 5m
            volumes:
              - $BITCOIN_DIR:/home/bitcoin/.bitcoin
            ports:
              - "0.0.0.0:8333:8333"
          lnd:
            image: $LND_IMAGE
            restart: unless-stopped
            stop_grace_period: 2m
            depends_on: [bitcoind]
            volumes:
              - $LND_DIR:/root/.lnd
            ports:
              - "0.0.0.0:9735:9735"
              - "127.0.0.1:8080:8080"
          lnbits:
            image: $LNBITS_IMAGE
            restart: unless-stopped
            depends_on: [lnd]
            env_file: $LNBITS_DIR/lnbits.env
            volumes:
              - $LNBITS_DIR/data:/app/data
              - $LND_DIR/tls.cert:/lnd/tls.cert:ro
            ports:
        $lnbits_ports
        networks:
          default:
            ipam:
              config:
                - subnet: $DOCKER_SUBNET
        COMPOSE
        chmod 600 "$NODE_DIR/docker-compose.yml"
        cd "$NODE_DIR"

        # --- Start bitcoind, wait for its RPC, then LND ---
        docker compose up -d bitcoind
        bitcoin_rpc_ready() { docker compose exec -T -u bitcoin bitcoind bitcoin-cli getblockchaininfo >/dev/null 2>&1; }
        log "waiting for the Bitcoin RPC"
        retry 120 5 bitcoin_rpc_ready
        docker compose up -d lnd
        log "waiting for LND REST"
        retry 60 5 test -s "$LND_DIR/tls.cert"
        lnd_rest() { curl -fsS --cacert "$LND_DIR/tls.cert" "$@"; }
        # /v1/state answers without a macaroon in every state: NON_EXISTING until a wallet is made.
        retry 60 5 lnd_rest -o /dev/null "$LND_REST/v1/state"
        wallet_state=$(lnd_rest "$LND_REST/v1/state" | jq -r '.state')

        # --- LND wallet: seed from /v1/genseed, wallet from /v1/initwallet ---
        if [ "$wallet_state" = NON_EXISTING ]; then
          log "creating the LND wallet"
          seed_reply=$(lnd_rest "$LND_REST/v1/genseed")
          seed_json=$(jq -c '.cipher_seed_mnemonic' <<<"$seed_reply")
          if [ "$(jq 'length' <<<"$seed_json")" != 24 ]; then
            log "LND returned no 24-word seed"
            exit 1
          fi
          # The seed goes to the credentials file before the wallet exists, so it is never lost.
          {
            echo "LND seed (aezeed, 24 words):"
            jq -r 'to_entries | map("\(.key + 1). \(.value)") | join("\n")' <<<"$seed_json"
          } >>"$CREDENTIALS_FILE"
          password_b64=$(printf '%s' "$LND_WALLET_PASSWORD" | base64 -w0)
          jq -n --arg password "$password_b64" --argjson seed "$seed_json" \
            '{wallet_password: $password, cipher_seed_mnemonic: $seed}' \
            | lnd_rest -o /dev/null -X POST --data-binary @- "$LND_REST/v1/initwallet"
          echo "LND wallet made from the seed just above." >>"$CREDENTIALS_FILE"
          unset seed_reply seed_json password_b64
        fi
        log "waiting for LND's admin macaroon"
        retry 120 5 test -s "$MACAROON"

        # --- LNbits on LND REST ---
        (
          umask 077
          cat >"$LNBITS_DIR/lnbits.env" <<LNBITS
        LNBITS_ADMIN_UI=true
        LNBITS_DATA_FOLDER=/app/data
        LNBITS_BACKEND_WALLET_CLASS=LndRestWallet
        LND_REST_ENDPOINT=https://lnd:8080/
        LND_REST_CERT=/lnd/tls.cert
        LND_REST_MACAROON=$(od -An -v -tx1 "$MACAROON" | tr -d ' \n')
        LNBITS
        )
        docker compose up -d lnbits

        # --- After a reboot: wait for the tailnet address before LNbits binds to it ---
        wait_line=""
        if [ -n "$TS_IP" ]; then
          wait_line="ExecStartPre=-/usr/bin/timeout 120 /bin/sh -c 'until tailscale ip -4 >/dev/null 2>&1; do sleep 2; done'"
        fi
        cat >/etc/systemd/system/timmy-node.service <<UNIT
        [Unit]
        Description=timmy node containers (bitcoind, lnd, lnbits)
        Requires=docker.service
        After=docker.service tailscaled.service network-online.target
        Wants=network-online.target

        [Service]
        Type=oneshot
        RemainAfterExit=yes
        WorkingDirectory=$NODE_DIR
        $wait_line
        ExecStart=/usr/bin/docker compose up -d

        [Install]
        WantedBy=multi-user.target
        UNIT
        systemctl daemon-reload
        systemctl enable timmy-node.service

        # --- ops.sh ---
        cat >"$NODE_DIR/ops.sh" <<'OPS'
        @OPS_SCRIPT@
        OPS
        chmod 0755 "$NODE_DIR/ops.sh"

        # --- Where things are ---
        if ! grep -q '^LNbits' "$CREDENTIALS_FILE"; then
          {
            echo "LNbits:                http://127.0.0.1:5000 on the node (ssh -L 5000:127.0.0.1:5000 root@<node>)"
            if [ -n "$TS_IP" ]; then
              echo "LNbits on the tailnet: http://$TS_HOSTNAME:5000 (http://$TS_IP:5000)"
            fi
            echo "LNbits first start:    open it and create the admin account at once"
            echo "Everyday commands:     $NODE_DIR/ops.sh sync | status | logs"
          } >>"$CREDENTIALS_FILE"
        fi
        chmod 600 "$CREDENTIALS_FILE"
        date -u +%Y-%m-%dT%H:%M:%SZ >"$NODE_DIR/setup-complete"
        log "done; credentials in $CREDENTIALS_FILE"
        """#
}
