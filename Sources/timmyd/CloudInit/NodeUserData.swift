/// The one template every node's user_data comes from. `UserDataRenderer` fills
/// `@RENDERED_INPUTS@` with the job's shell-quoted values and pastes in the three
/// pieces below; nothing else varies from job to job.
///
/// The script runs once, as root, in cloud-init's final stage on a fresh Debian
/// or Ubuntu droplet. It is written to be safe to run again (each step checks
/// before it changes anything; it keeps a copy of itself at /opt/timmy-node/setup.sh),
/// logs to /var/log/timmy-node-setup.log, generates every password on the node
/// itself, and reports each `NodeSetupStep` to timmyd when given a report URL.
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

    /// The setup's helpers: logging, progress reports, failure handling, retries. They
    /// use the fixed paths the template sets before them (`NODE_DIR`, `REPORT_DIR`,
    /// `CREDENTIALS_FILE`) and `REPORT_URL`, `CURRENT_STEP` and `SETUP_PID`.
    static let setupFunctions = #"""
        log() { printf '%s timmy-node: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

        # report STEP STATE [MESSAGE]: queue a progress report for report-sender.sh. It
        # never waits for the network and never fails the setup.
        report() {
          if [ -z "$REPORT_URL" ]; then
            return 0
          fi
          local message seq
          message=$(printf '%s' "${3:-}" | LC_ALL=C tr -cd '\040-\176' | head -c 500) || true
          {
            seq=$(($(cat "$REPORT_DIR/seq" 2>/dev/null || echo 0) + 1))
            echo "$seq" >"$REPORT_DIR/seq"
            printf '%s\n%s\n%s\n' "$1" "$2" "$message" >"$REPORT_DIR/next.tmp"
            mv "$REPORT_DIR/next.tmp" "$REPORT_DIR/$(printf '%08d' "$seq").report"
          } || log "WARNING: could not queue a progress report"
        }

        # begin_step STEP: the previous step is done, STEP is running.
        begin_step() {
          if [ -n "$CURRENT_STEP" ]; then
            report "$CURRENT_STEP" "done"
          fi
          CURRENT_STEP=$1
          log "step: $1"
          report "$1" running
        }

        # setup_failed REASON: say where the setup stopped, on the node and to timmyd.
        setup_failed() {
          local reason="${CURRENT_STEP:-packages} failed: $1"
          log "ERROR: $reason"
          {
            printf 'step=%s\nreason=%s\ntime=%s\n' "${CURRENT_STEP:-packages}" "$reason" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
            printf 'The setup is safe to run again once the cause is fixed: bash %s/setup.sh\n' "$NODE_DIR"
          } >"$NODE_DIR/setup-failed" || true
          report "${CURRENT_STEP:-packages}" failed "$reason"
        }

        # fail MESSAGE: stop the setup with a clear reason.
        fail() {
          setup_failed "$*"
          exit 1
        }

        # Runs for any failing command, also inside functions (set -E). Subshells and
        # command substitutions leave the reporting to the main shell, which fails next.
        on_error() {
          if [ "$BASHPID" = "$SETUP_PID" ]; then
            setup_failed "line $2 (exit status $1)"
          fi
        }

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

        # docker_pull IMAGE: Docker Hub lets an address pull anonymously only 10 times an
        # hour, so "toomanyrequests" waits (1, 2, 4, 8, then 15 minutes, an hour in all);
        # any other error gets five tries 15 s apart.
        docker_pull() {
          local image=$1 output waited=0 delay=60 failures=0
          while :; do
            if output=$(docker pull -q "$image" 2>&1); then
              return 0
            fi
            printf '%s\n' "$output" | tail -n 3
            if grep -qi toomanyrequests <<<"$output"; then
              if ((waited >= 3600)); then
                return 1
              fi
              delay=$((delay > 3600 - waited ? 3600 - waited : delay))
              log "Docker Hub's pull limit: pulling $image again in ${delay}s"
              sleep "$delay"
              waited=$((waited + delay))
              delay=$((delay * 2 > 900 ? 900 : delay * 2))
            else
              failures=$((failures + 1))
              if ((failures >= 5)); then
                return 1
              fi
              sleep 15
            fi
          done
        }

        # note LABEL TEXT: add "LABEL: TEXT" to the credentials file once.
        note() {
          if ! grep -qF "$1:" "$CREDENTIALS_FILE"; then
            printf '%-23s %s\n' "$1:" "$2" >>"$CREDENTIALS_FILE"
          fi
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
        # Written by the setup: DATA_DIR is where the chain is (the volume, or the root disk).
        DATA_DIR=/
        if [ -r node.env ]; then
          # shellcheck source=/dev/null
          . ./node.env
        fi

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
            df -h / "$DATA_DIR" 2>/dev/null || true
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

    /// `/opt/timmy-node/report-sender.sh`: posts the setup's progress reports to timmyd.
    ///
    /// The setup queues each report as a numbered file (step, state and message on three
    /// lines) and never waits for the network. One sender at a time (a lock) posts them
    /// oldest first, each until it is delivered: a 2xx or a 4xx other than 429 (a refusal
    /// that repeating cannot cure) removes it; anything else is retried with back-off. It
    /// keeps going after the setup ends, until the queue is empty or 30 minutes have passed.
    /// The node token is read from a 0600 header file, so it is never on a command line
    /// or in a log.
    static let reportSender = #"""
        #!/bin/bash
        # report-sender.sh [FOLDER] - posts the setup's queued progress reports to timmyd, in order.
        set -uo pipefail
        REPORT_DIR=${1:-/opt/timmy-node/reports}
        exec 9>"$REPORT_DIR/sender.lock"
        if ! flock -n 9; then
          exit 0
        fi
        url=$(cat "$REPORT_DIR/url")
        deadline=0
        delay=2
        while :; do
          setup_pid=$(cat "$REPORT_DIR/setup.pid" 2>/dev/null || true)
          if [[ "$setup_pid" =~ ^[0-9]+$ ]] && ((setup_pid > 1)) && kill -0 "$setup_pid" 2>/dev/null; then
            deadline=0
          elif ((deadline == 0)); then
            deadline=$(($(date +%s) + 1800))
          fi
          next=""
          for file in "$REPORT_DIR"/*.report; do
            if [ -e "$file" ]; then
              next=$file
            fi
            break
          done
          if [ -z "$next" ] && ((deadline > 0)); then
            exit 0
          fi
          if ((deadline > 0 && $(date +%s) > deadline)); then
            echo "giving up with reports still queued"
            exit 0
          fi
          # curl and jq arrive with the setup's first packages.
          if [ -z "$next" ] || ! command -v jq >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
            sleep 2
            continue
          fi
          { IFS= read -r step; IFS= read -r state; IFS= read -r message; } <"$next" || true
          body=$(jq -cn --arg step "${step:-}" --arg state "${state:-}" --arg message "${message:-}" \
            '{step: $step, state: $state} + (if $message == "" then {} else {message: $message} end)')
          code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 20 -X POST -H @"$REPORT_DIR/auth-header" \
            -H 'Content-Type: application/json' --data-binary "$body" "$url" 2>/dev/null) || true
          case "$code" in
            2??)
              rm -f "$next"
              delay=2
              ;;
            4??)
              if [ "$code" != 429 ]; then
                echo "$(date -u +%FT%TZ) dropped ${next##*/} (${step:-}/${state:-}): HTTP $code"
                rm -f "$next"
                delay=2
                continue
              fi
              sleep "$delay"
              delay=$((delay * 2 > 120 ? 120 : delay * 2))
              ;;
            *)
              sleep "$delay"
              delay=$((delay * 2 > 120 ? 120 : delay * 2))
              ;;
          esac
        done
        """#

    static let template = #"""
        #!/bin/bash
        # timmy node setup: cloud-init user_data rendered by timmyd for one job.
        # It runs once, as root, at the droplet's first boot, and is safe to run again
        # (bash /opt/timmy-node/setup.sh): each step checks before it changes anything.
        # Operators can review exactly this text with `timmyctl render-user-data`.
        #
        # Components: Docker + compose plugin, Tailscale, UFW, the block volume (if
        # any), Bitcoin Core, LND and LNbits in containers. Every password is made
        # here, from /dev/urandom, and written to /root/node-credentials.txt (0600).
        set -Eeuo pipefail
        umask 022
        export DEBIAN_FRONTEND=noninteractive
        exec > >(tee -a /var/log/timmy-node-setup.log) 2>&1

        # --- Rendered by timmyd for this job (each value shell-quoted) ---
        @RENDERED_INPUTS@

        # --- Fixed from here on ---
        NODE_DIR=/opt/timmy-node
        LND_DIR=$NODE_DIR/lnd
        # LND writes its TLS certificate here (tlscertpath); LNbits mounts the folder, not the
        # file, so a renewed certificate (a new file) reaches it.
        LND_TLS_DIR=$LND_DIR/tls
        LNBITS_DIR=$NODE_DIR/lnbits
        SECRETS_FILE=$NODE_DIR/secrets.env
        CREDENTIALS_FILE=/root/node-credentials.txt
        REPORT_DIR=$NODE_DIR/reports
        DATA_MOUNT=/mnt/timmy-data
        # The floor under which a node cannot work: free space for the chainstate (the UTXO
        # set), at least 550 MiB of pruned blocks, LND, LNbits and logs on the data disk, and
        # room for the container images on the root disk.
        MIN_DATA_FREE_MIB=25600
        MIN_ROOT_FREE_MIB=6144
        # Containers talk over this network; bitcoind's RPC is open to it alone.
        DOCKER_SUBNET=172.30.0.0/24
        LND_REST=https://127.0.0.1:8080
        LNBITS_LOCAL=http://127.0.0.1:5000
        LND_CHAIN_DIR=$LND_DIR/data/chain/bitcoin/mainnet
        MACAROON=$LND_CHAIN_DIR/admin.macaroon
        CURRENT_STEP=""
        SETUP_PID=$$

        @SETUP_FUNCTIONS@
        trap 'on_error $? $LINENO' ERR

        @PRUNE_FUNCTION@

        mkdir -p "$NODE_DIR"
        chmod 0755 "$NODE_DIR"
        # Keep this script where a re-run can find it (cloud-init runs it from its own copy).
        if [ -f "$0" ] && [ "$(readlink -f "$0")" != "$NODE_DIR/setup.sh" ]; then
          install -m 0700 "$0" "$NODE_DIR/setup.sh"
        fi
        log "setting up $NODE_NAME"

        # --- Progress reports: queued here, posted by one background sender ---
        if [ -n "$REPORT_URL" ]; then
          install -d -m 0700 "$REPORT_DIR"
          printf '%s\n' "$REPORT_URL" >"$REPORT_DIR/url"
          (
            umask 077
            printf 'Authorization: Bearer %s\n' "$REPORT_TOKEN" >"$REPORT_DIR/auth-header"
          )
          echo "$SETUP_PID" >"$REPORT_DIR/setup.pid"
          cat >"$NODE_DIR/report-sender.sh" <<'SENDER'
        @REPORT_SENDER@
        SENDER
          chmod 0700 "$NODE_DIR/report-sender.sh"
          # Its own session and files: cloud-init must not wait on it, nor the log show the token.
          setsid bash "$NODE_DIR/report-sender.sh" "$REPORT_DIR" </dev/null >>"$REPORT_DIR/sender.log" 2>&1 &
        fi

        # --- Packages ---
        begin_step packages
        # shellcheck source=/dev/null
        . /etc/os-release
        case "${ID:-}" in
          debian | ubuntu) ;;
          *) fail "unsupported distribution '${ID:-unknown}' (need Debian or Ubuntu)" ;;
        esac
        if [ -z "${VERSION_CODENAME:-}" ]; then
          fail "no VERSION_CODENAME in /etc/os-release"
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
        begin_step docker
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
        begin_step tailscale
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
        TS_IP=$(tailscale ip -4 2>/dev/null | head -n 1 || true)
        if [[ "$TS_IP" =~ ^100\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
          log "already on the tailnet as $TS_IP"
        elif [ -n "$TS_AUTHKEY" ]; then
          TS_IP=""
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
          TS_IP=""
          log "no Tailscale auth key: run 'tailscale up' yourself to join a tailnet"
        fi

        # --- Firewall ---
        begin_step firewall
        ufw default deny incoming
        ufw default allow outgoing
        ufw allow 22/tcp
        ufw allow 8333/tcp
        ufw allow 9735/tcp
        ufw --force enable

        # --- Block volume: found by its DigitalOcean id, formatted only if blank ---
        begin_step storage
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
        if [ "$VOLUME_MOUNTED" = 1 ]; then
          # nofail lets the boot go on without the volume; Docker must not: bitcoind would
          # start on the root disk's empty mount point.
          install -d -m 0755 /etc/systemd/system/docker.service.d
          printf '[Unit]\nRequiresMountsFor=%s\n' "$DATA_DIR" >/etc/systemd/system/docker.service.d/timmy-data-mount.conf
          systemctl daemon-reload
        fi
        BITCOIN_DIR=$DATA_DIR/bitcoin
        mkdir -p "$BITCOIN_DIR" "$LND_DIR" "$LND_TLS_DIR" "$LNBITS_DIR/data"
        # Compose reads every service's env_file whichever service it starts.
        touch "$LNBITS_DIR/lnbits.env"
        chmod 600 "$LNBITS_DIR/lnbits.env"
        printf 'DATA_DIR=%s\n' "$DATA_DIR" >"$NODE_DIR/node.env"
        if [ ! -f "$BITCOIN_DIR/bitcoin.conf" ]; then
          data_free=$(df --output=avail -m "$BITCOIN_DIR" | tail -n 1 | tr -d ' ')
          root_free=$(df --output=avail -m / | tail -n 1 | tr -d ' ')
          if ((data_free < MIN_DATA_FREE_MIB)); then
            fail "$BITCOIN_DIR has ${data_free} MiB free; a node needs at least ${MIN_DATA_FREE_MIB} MiB there (use a bigger droplet or volume)"
          fi
          if ((root_free < MIN_ROOT_FREE_MIB)); then
            fail "the root disk has ${root_free} MiB free; the containers need at least ${MIN_ROOT_FREE_MIB} MiB"
          fi
        fi
        log "chain data in $BITCOIN_DIR"

        # --- Passwords, made here and kept for re-runs ---
        touch "$SECRETS_FILE"
        chmod 600 "$SECRETS_FILE"
        for name in BITCOIN_RPC_PASSWORD LND_WALLET_PASSWORD LNBITS_ADMIN_PASSWORD LNBITS_FIRST_INSTALL_TOKEN LNBITS_AUTH_SECRET_KEY; do
          if ! grep -q "^$name=" "$SECRETS_FILE"; then
            printf '%s=%s\n' "$name" "$(random_secret)" >>"$SECRETS_FILE"
          fi
        done
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

        # --- Images: pulled, and LND's binaries checked against its signed release ---
        begin_step images
        log "pulling $BITCOIN_IMAGE $LND_IMAGE $LNBITS_IMAGE"
        for image in "$BITCOIN_IMAGE" "$LND_IMAGE" "$LNBITS_IMAGE"; do
          docker_pull "$image" || fail "could not pull $image"
        done
        # verify-install.sh ships in LND's image: it fetches the release manifest and its
        # signatures from GitHub, needs enough of LND's signing keys, and checks that lnd
        # and lncli are the released binaries. Done once per image.
        lnd_image_id=$(docker image inspect -f '{{.Id}}' "$LND_IMAGE")
        if [ "$(cat "$NODE_DIR/lnd-verified" 2>/dev/null || true)" != "$lnd_image_id" ]; then
          lnd_version=v$(docker run --rm --entrypoint lnd "$LND_IMAGE" --version | awk '{print $3}')
          if [[ ! "$lnd_version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
            fail "$LND_IMAGE reports no LND version ('$lnd_version')"
          fi
          log "checking LND $lnd_version against its signed release manifest"
          if ! retry 3 30 docker run --rm --entrypoint /verify-install.sh "$LND_IMAGE" "$lnd_version"; then
            fail "LND in $LND_IMAGE is not the signed $lnd_version release"
          fi
          echo "$lnd_image_id" >"$NODE_DIR/lnd-verified"
        fi

        # --- Bitcoin node: full only on a volume that holds the chain, else pruned ---
        begin_step bitcoind
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

        # --- Compose file ---
        # Bind mounts never create a missing host folder: a volume that did not mount
        # stops the container instead of filling the root disk. LNbits is published on
        # loopback (and the tailnet address), never 0.0.0.0, and starts only once LND
        # answers that its wallet is unlocked (every boot, not only the first).
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
              - type: bind
                source: $BITCOIN_DIR
                target: /home/bitcoin/.bitcoin
                bind:
                  create_host_path: false
            ports:
              - "0.0.0.0:8333:8333"
          lnd:
            image: $LND_IMAGE
            restart: unless-stopped
            stop_grace_period: 2m
            depends_on: [bitcoind]
            volumes:
              - type: bind
                source: $LND_DIR
                target: /root/.lnd
                bind:
                  create_host_path: false
            ports:
              - "0.0.0.0:9735:9735"
              - "127.0.0.1:8080:8080"
            healthcheck:
              test: ["CMD-SHELL", "wget -qO- --ca-certificate=/root/.lnd/tls/tls.cert https://127.0.0.1:8080/v1/state | grep -Eq 'RPC_ACTIVE|SERVER_ACTIVE'"]
              interval: 15s
              timeout: 10s
              retries: 8
              start_period: 60m
              start_interval: 5s
          lnbits:
            image: $LNBITS_IMAGE
            restart: unless-stopped
            depends_on:
              lnd:
                condition: service_healthy
            env_file: $LNBITS_DIR/lnbits.env
            volumes:
              - type: bind
                source: $LNBITS_DIR/data
                target: /app/data
                bind:
                  create_host_path: false
              - type: bind
                source: $LND_TLS_DIR
                target: /lnd
                read_only: true
                bind:
                  create_host_path: false
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

        # --- Start bitcoind and wait for its RPC ---
        docker compose up -d bitcoind
        bitcoin_rpc_ready() { docker compose exec -T -u bitcoin bitcoind bitcoin-cli getblockchaininfo >/dev/null 2>&1; }
        log "waiting for the Bitcoin RPC"
        retry 120 5 bitcoin_rpc_ready || fail "the Bitcoin RPC did not answer within 10 minutes"

        # --- LND: unlocks itself from a password file; the wallet is made below over REST ---
        begin_step lnd
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
        tlscertpath=/root/.lnd/tls/tls.cert
        tlskeypath=/root/.lnd/tls.key
        tlsautorefresh=true
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
        docker compose up -d lnd
        log "waiting for LND REST"
        retry 60 5 test -s "$LND_TLS_DIR/tls.cert" || fail "LND wrote no TLS certificate"
        lnd_rest() { curl -fsS --cacert "$LND_TLS_DIR/tls.cert" "$@"; }
        # /v1/state answers without a macaroon in every state: NON_EXISTING until a wallet is made.
        retry 60 5 lnd_rest -o /dev/null "$LND_REST/v1/state" || fail "LND REST did not answer"
        wallet_state=$(lnd_rest "$LND_REST/v1/state" | jq -r '.state')

        # --- LND wallet: seed from /v1/genseed, wallet from /v1/initwallet ---
        if [ "$wallet_state" = NON_EXISTING ]; then
          log "creating the LND wallet"
          seed_reply=$(lnd_rest "$LND_REST/v1/genseed")
          seed_json=$(jq -c '.cipher_seed_mnemonic' <<<"$seed_reply")
          if [ "$(jq 'length' <<<"$seed_json")" != 24 ]; then
            fail "LND returned no 24-word seed"
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
        # The wallet exists: a later start must never make a new one (a lost or unreadable
        # wallet file should stop LND, not be replaced).
        sed -i '/^wallet-unlock-allow-create=/d' "$LND_DIR/lnd.conf"
        log "waiting for LND's admin macaroon"
        retry 120 5 test -s "$MACAROON" || fail "LND made no admin macaroon"

        # --- LNbits on LND REST; its first install (the super user) is finished here ---
        begin_step lnbits
        (
          umask 077
          cat >"$LNBITS_DIR/lnbits.env" <<LNBITS
        LNBITS_ADMIN_UI=true
        LNBITS_DATA_FOLDER=/app/data
        LNBITS_BACKEND_WALLET_CLASS=LndRestWallet
        LND_REST_ENDPOINT=https://lnd:8080/
        LND_REST_CERT=/lnd/tls.cert
        LND_REST_MACAROON=$(od -An -v -tx1 "$MACAROON" | tr -d ' \n')
        FUNDING_SOURCE_MAX_RETRIES=40
        FIRST_INSTALL_TOKEN=$LNBITS_FIRST_INSTALL_TOKEN
        AUTH_SECRET_KEY=$LNBITS_AUTH_SECRET_KEY
        LNBITS
        )
        docker compose up -d lnbits
        lnbits_answers() { curl -sS -o /dev/null --max-time 5 "$LNBITS_LOCAL/api/v1/health"; }
        retry 60 5 lnbits_answers || fail "LNbits did not answer on $LNBITS_LOCAL"
        # Without FIRST_INSTALL_TOKEN whoever called this first would become LNbits' super user.
        lnbits_admin_login() {
          jq -n --arg user admin --arg password "$LNBITS_ADMIN_PASSWORD" '{username: $user, password: $password}' \
            | curl -fsS -o /dev/null --max-time 30 -X POST -H 'Content-Type: application/json' --data-binary @- "$LNBITS_LOCAL/api/v1/auth"
        }
        if ! grep -q '^LNbits admin user:' "$CREDENTIALS_FILE"; then
          install_status=$(jq -n --arg user admin --arg password "$LNBITS_ADMIN_PASSWORD" --arg token "$LNBITS_FIRST_INSTALL_TOKEN" \
            '{username: $user, password: $password, password_repeat: $password, first_install_token: $token}' \
            | curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -X PUT -H 'Content-Type: application/json' \
              --data-binary @- "$LNBITS_LOCAL/api/v1/auth/first_install" || true)
          # 403: already installed; by this setup (an earlier run) only if our password logs in.
          if [ "$install_status" = 200 ] || { [ "$install_status" = 403 ] && lnbits_admin_login; }; then
            note "LNbits admin user" "admin"
            note "LNbits admin password" "$LNBITS_ADMIN_PASSWORD"
          else
            fail "LNbits' first install answered HTTP $install_status"
          fi
        fi

        # --- After a reboot: wait for the tailnet address before LNbits binds to it ---
        wait_line=""
        if [ -n "$TS_IP" ]; then
          wait_line="ExecStartPre=-/usr/bin/timeout 120 /bin/sh -c 'until tailscale ip -4 >/dev/null 2>&1; do sleep 2; done'"
        fi
        # Docker itself restarts LNbits at boot, maybe before LND has unlocked its wallet;
        # stopping it lets compose start it again once LND is healthy.
        cat >/etc/systemd/system/timmy-node.service <<UNIT
        [Unit]
        Description=timmy node containers (bitcoind, lnd, lnbits)
        Requires=docker.service
        After=docker.service tailscaled.service network-online.target
        Wants=network-online.target

        [Service]
        Type=oneshot
        RemainAfterExit=yes
        TimeoutStartSec=75min
        WorkingDirectory=$NODE_DIR
        $wait_line
        ExecStartPre=-/usr/bin/docker compose stop lnbits
        ExecStart=/usr/bin/docker compose up -d

        [Install]
        WantedBy=multi-user.target
        UNIT
        systemctl daemon-reload
        systemctl enable timmy-node.service

        # --- ops.sh and where things are ---
        begin_step complete
        cat >"$NODE_DIR/ops.sh" <<'OPS'
        @OPS_SCRIPT@
        OPS
        chmod 0755 "$NODE_DIR/ops.sh"
        note "LNbits" "http://127.0.0.1:5000 on the node (ssh -L 5000:127.0.0.1:5000 root@<node>)"
        if [ -n "$TS_IP" ]; then
          note "LNbits on the tailnet" "http://$TS_HOSTNAME:5000 (http://$TS_IP:5000)"
        fi
        note "LND channel backup" "$LND_CHAIN_DIR/channel.backup - copy it off the node after every channel open or close; with the seed it recovers channel funds"
        note "Everyday commands" "$NODE_DIR/ops.sh sync | status | logs"
        note "Re-run the setup" "bash $NODE_DIR/setup.sh (safe: it changes only what is missing; log in /var/log/timmy-node-setup.log)"
        chmod 600 "$CREDENTIALS_FILE"
        rm -f "$NODE_DIR/setup-failed"
        date -u +%Y-%m-%dT%H:%M:%SZ >"$NODE_DIR/setup-complete"
        report complete "done"
        log "done; credentials in $CREDENTIALS_FILE"
        """#
}
