/// The database schema, one migration per change, never edited once released.
enum Schema {
    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "jobs, job events, stub invoices",
            sql: """
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY,
                    state TEXT NOT NULL,
                    phase TEXT,
                    label TEXT,
                    region TEXT NOT NULL,
                    size TEXT NOT NULL,
                    image TEXT NOT NULL,
                    volume_size_gb INTEGER NOT NULL,
                    amount_sats INTEGER NOT NULL CHECK (amount_sats > 0),
                    payment_hash TEXT NOT NULL UNIQUE,
                    payment_request TEXT NOT NULL,
                    invoice_expires_at INTEGER NOT NULL,
                    paid_at INTEGER,
                    preimage TEXT,
                    access_token_hash TEXT NOT NULL,
                    ssh_key_algorithm TEXT NOT NULL,
                    ssh_public_key TEXT,
                    ssh_key_fingerprint TEXT,
                    ssh_private_key_sealed BLOB,
                    buyer_supplied_key INTEGER NOT NULL DEFAULT 0,
                    key_claimed_at INTEGER,
                    key_wiped_at INTEGER,
                    do_ssh_key_id TEXT,
                    do_volume_id TEXT,
                    do_droplet_id TEXT,
                    tailscale_key_id TEXT,
                    node_ipv4 TEXT,
                    tailscale_hostname TEXT,
                    lnbits_url TEXT,
                    error_public TEXT,
                    error_detail TEXT,
                    refund_bolt11 TEXT,
                    refund_payment_hash TEXT,
                    refund_amount_sats INTEGER,
                    refunded_at INTEGER,
                    provisioning_started_at INTEGER,
                    ready_at INTEGER,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX jobs_by_state ON jobs (state, created_at, id);
                CREATE INDEX jobs_by_created ON jobs (created_at, id);
                CREATE TABLE job_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    job_id TEXT NOT NULL REFERENCES jobs (id),
                    at INTEGER NOT NULL,
                    from_state TEXT,
                    to_state TEXT,
                    phase TEXT,
                    actor_uid INTEGER,
                    reason TEXT NOT NULL
                );
                CREATE INDEX job_events_by_job ON job_events (job_id, id);
                CREATE TABLE stub_invoices (
                    payment_hash TEXT PRIMARY KEY,
                    preimage TEXT NOT NULL,
                    amount_msat INTEGER NOT NULL,
                    memo TEXT NOT NULL,
                    expires_at INTEGER NOT NULL,
                    paid_at INTEGER
                );
                """),
        // The web front caps unpaid jobs per client address; keeping the address with the
        // job makes the count exact across restarts and expiry, with no counter to keep in step.
        Migration(
            version: 2, name: "client address of jobs bought over HTTP",
            sql: """
                ALTER TABLE jobs ADD COLUMN client_address TEXT;
                CREATE INDEX jobs_by_client_address ON jobs (client_address, state) WHERE client_address IS NOT NULL;
                """),
        Migration(
            version: 3, name: "sealed one-off Tailscale auth key",
            // The auth key's secret is shown by Tailscale only once, but the droplet that
            // needs it is made in a later phase: it is kept sealed until then (see
            // DigitalOceanNodeProvider) and wiped when the droplet exists.
            sql: "ALTER TABLE jobs ADD COLUMN tailscale_auth_key_sealed BLOB;"),
        // A claimed key stays claimable until the buyer confirms it or this time passes
        // (then the retention sweep wipes it). A stored time, fixed at the first claim,
        // so the promise survives restarts and a later change of the window.
        Migration(
            version: 4, name: "deadline to confirm a claimed key",
            sql: """
                ALTER TABLE jobs ADD COLUMN key_confirm_by INTEGER;
                CREATE INDEX jobs_by_key_confirm_by ON jobs (key_confirm_by)
                    WHERE key_confirm_by IS NOT NULL AND ssh_private_key_sealed IS NOT NULL;
                """),
        Migration(
            version: 5, name: "money integrity: late-payment window index, refund invoices used once, error reasons",
            // - The watcher asks only about expired and cancelled invoices still inside the
            //   late-payment grace window; (state, invoice_expires_at) serves that range, so
            //   old jobs cost a round nothing.
            // - One refund invoice settles one job: a second job holding the same hash would be
            //   marked refunded by the first job's payment. A reopened refund (`refund_failed`)
            //   clears its hash, so the buyer may pay to a new invoice.
            //   A database that already holds such pairs keeps the earliest job's hash; each
            //   later one gets its job id appended (so the index can exist) and a history row
            //   asking an admin to check whether that refund was really paid.
            // - `error_reason` is a stable word for why a job failed (`payment_unverified`).
            sql: """
                CREATE INDEX jobs_by_state_invoice_expiry ON jobs (state, invoice_expires_at);
                CREATE TEMP TABLE shared_refund_invoices AS
                    SELECT later.id AS id FROM jobs AS later
                    WHERE later.refund_payment_hash IS NOT NULL AND EXISTS (
                        SELECT 1 FROM jobs AS earlier
                        WHERE earlier.refund_payment_hash = later.refund_payment_hash
                            AND (earlier.updated_at < later.updated_at
                                OR (earlier.updated_at = later.updated_at AND earlier.id < later.id)));
                INSERT INTO job_events (job_id, at, reason)
                    SELECT id, CAST(strftime('%s', 'now') AS INTEGER) * 1000,
                        'refund invoice also used by an earlier job: this refund may not have been paid; check it'
                    FROM shared_refund_invoices;
                UPDATE jobs SET refund_payment_hash = refund_payment_hash || ':shared:' || id
                    WHERE id IN (SELECT id FROM shared_refund_invoices);
                DROP TABLE shared_refund_invoices;
                CREATE UNIQUE INDEX jobs_by_refund_payment_hash ON jobs (refund_payment_hash)
                    WHERE refund_payment_hash IS NOT NULL;
                ALTER TABLE jobs ADD COLUMN error_reason TEXT;
                """),
        Migration(
            version: 6, name: "node setup reports, node token, buyer's own Tailscale key",
            // The node token's hash authenticates the node's setup reports; the token itself is
            // held sealed only from its making until the droplet that carries it exists (a crash
            // in between must not leave a node holding a token timmyd cannot render again).
            // The last report is kept on the job; every report is also a job_events row, and
            // they are counted, so one node (whose buyer holds its token) cannot fill the history.
            // A buyer's own Tailscale auth key lives in tailscale_auth_key_sealed, flagged here.
            sql: """
                ALTER TABLE jobs ADD COLUMN node_token_hash TEXT;
                ALTER TABLE jobs ADD COLUMN node_token_sealed BLOB;
                ALTER TABLE jobs ADD COLUMN setup_step TEXT;
                ALTER TABLE jobs ADD COLUMN setup_state TEXT;
                ALTER TABLE jobs ADD COLUMN setup_message TEXT;
                ALTER TABLE jobs ADD COLUMN setup_updated_at INTEGER;
                ALTER TABLE jobs ADD COLUMN setup_report_count INTEGER;
                ALTER TABLE jobs ADD COLUMN buyer_tailscale_key INTEGER NOT NULL DEFAULT 0;
                """),
        Migration(
            version: 7, name: "operator events and their webhook deliveries",
            // Events an operator should hear about (see OperatorEventKind), kept as an outbox:
            // each is written in the same transaction as its cause, and the alert sender posts
            // them to ALERT_WEBHOOK_URL from here, so a crash or restart loses none.
            // - The job transitions that are events are caught by triggers on job_events, which
            //   every transition writes in its own transaction: no transition can commit
            //   without its event, whichever code path made it.
            // - `once_key` keeps a condition found by a periodic check (a stalled node, an
            //   upstream outage) to one event per occurrence.
            // - Each delivery attempt is a row of its own: its time, the HTTP status or the
            //   transport error's word; never the receiver's body.
            sql: """
                CREATE TABLE operator_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    job_id TEXT,
                    summary TEXT NOT NULL,
                    once_key TEXT UNIQUE,
                    delivery TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    last_status INTEGER,
                    last_error TEXT,
                    finished_at INTEGER
                );
                CREATE INDEX operator_events_due ON operator_events (next_attempt_at, id) WHERE delivery = 'pending';
                CREATE TABLE operator_event_attempts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id INTEGER NOT NULL REFERENCES operator_events (id),
                    at INTEGER NOT NULL,
                    status INTEGER,
                    error TEXT
                );
                CREATE INDEX operator_event_attempts_by_event ON operator_event_attempts (event_id, id);
                CREATE TRIGGER operator_event_provisioning_failed AFTER INSERT ON job_events
                    WHEN NEW.from_state = 'provisioning' AND NEW.to_state = 'failed'
                BEGIN
                    INSERT INTO operator_events (kind, at, job_id, summary, next_attempt_at)
                    VALUES ('job_failed', NEW.at, NEW.job_id,
                        'provisioning failed' || COALESCE(' at phase ' || (SELECT phase FROM jobs WHERE id = NEW.job_id), '')
                            || '; its cloud resources are removed and the buyer may ask for a refund',
                        NEW.at);
                END;
                CREATE TRIGGER operator_event_refund_needed AFTER INSERT ON job_events
                    WHEN NEW.from_state IN ('awaiting_payment', 'expired', 'cancelled') AND NEW.to_state = 'failed'
                BEGIN
                    INSERT INTO operator_events (kind, at, job_id, summary, next_attempt_at)
                    VALUES ('refund_needed', NEW.at, NEW.job_id,
                        CASE (SELECT error_reason FROM jobs WHERE id = NEW.job_id)
                            WHEN 'payment_unverified' THEN 'a payment was reported but failed verification; '
                                || 'check it, and refund it with admin.jobs.refund if money arrived'
                            ELSE 'a payment arrived for a job already ' || NEW.from_state
                                || ' and no node will be built; the buyer is owed a refund'
                        END,
                        NEW.at);
                END;
                CREATE TRIGGER operator_event_refund_failed AFTER INSERT ON job_events
                    WHEN NEW.from_state = 'refunding' AND NEW.to_state = 'failed'
                BEGIN
                    INSERT INTO operator_events (kind, at, job_id, summary, next_attempt_at)
                    VALUES ('refund_failed', NEW.at, NEW.job_id,
                        'a refund payment failed; the job is refundable again', NEW.at);
                END;
                """),
    ]
}
