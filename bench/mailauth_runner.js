'use strict';
// mailauth's side of the benchmark (https://github.com/postalsys/mailauth), run by bench/run.py:
//   node bench/mailauth_runner.js dkim|spf|full DATA_DIR RUNS [--limit N]
// Same protocol as bench/harness.py: one untimed warm-up pass, RUNS timed passes in
// this one process, one JSON object on stdout. Every DNS answer comes from the
// same dns.json the other tools read, through mailauth's `resolver` hook.

const fs = require('node:fs');
const path = require('node:path');
const { dkimVerify } = require('mailauth/lib/dkim/verify');
const { spf } = require('mailauth/lib/spf');
const { authenticate } = require('mailauth');

const NOW = 1760000600 * 1000;

function dnsError(code, name) {
    const err = new Error(`${code} ${name}`);
    err.code = code;
    return err;
}

// A resolver with the shape of node:dns/promises resolve(name, type).
function makeResolver(zone) {
    const table = new Map();
    for (const [name, types] of Object.entries(zone)) {
        table.set(name.toLowerCase().replace(/\.$/, ''), types);
    }
    return async (name, type) => {
        const entry = table.get(String(name).toLowerCase().replace(/\.$/, ''));
        if (!entry) throw dnsError('ENOTFOUND', name);
        const records = entry[type];
        if (!records || !records.length) throw dnsError('ENODATA', name);
        switch (type) {
            case 'TXT':
                return records.map(r => (Array.isArray(r) ? r.slice() : [r]));
            case 'MX':
                return records.map(r => {
                    const [priority, exchange] = r.split(/\s+/);
                    return { priority: Number(priority), exchange };
                });
            default:
                return records.slice();
        }
    };
}

// mailauth reports a body hash mismatch as "neutral (body hash did not verify)"; RFC 6376
// section 6.3 calls it PERMFAIL, which the other tools report as "fail". Same verdict.
function dkimWord(results) {
    if (!results.length) return 'none';
    const status = results[0].status;
    if (status.result === 'neutral' && /body hash did not verify/.test(status.comment || '')) return 'fail';
    return status.result;
}

function loadMessages(dir, limit) {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const blob = fs.readFileSync(path.join(dir, 'messages.bin'));
    return manifest.messages.slice(0, limit).map(e => ({ raw: blob.subarray(e.offset, e.offset + e.length), entry: e }));
}

const workloads = {
    async dkim(dir, resolver, limit) {
        const messages = loadMessages(dir, limit);
        return {
            unit: 'msg/s',
            items: messages.length,
            expected: messages.map(m => m.entry.dkim),
            async pass() {
                const out = [];
                for (const { raw } of messages) {
                    const res = await dkimVerify(raw, { resolver, curTime: new Date(NOW) });
                    out.push(dkimWord(res.results));
                }
                return out;
            }
        };
    },
    async spf(dir, resolver, limit) {
        const queries = JSON.parse(fs.readFileSync(path.join(dir, 'spf_queries.json'), 'utf8')).slice(0, limit);
        return {
            unit: 'queries/s',
            items: queries.length,
            expected: queries.map(q => q.expected),
            async pass() {
                const out = [];
                for (const q of queries) {
                    const res = await spf({ sender: q.mail_from, ip: q.ip, helo: q.helo, mta: 'mx.receiver.example', resolver });
                    out.push(res.status.result);
                }
                return out;
            }
        };
    },
    async full(dir, resolver, limit) {
        const messages = loadMessages(dir, limit);
        return {
            unit: 'msg/s',
            items: messages.length,
            expected: messages.map(m => `${m.entry.spf}/${m.entry.dkim}/${[m.entry.spf, m.entry.dkim].includes("pass") ? "pass" : "fail"}`),
            async pass() {
                const out = [];
                for (const { raw, entry } of messages) {
                    const res = await authenticate(raw, {
                        ip: entry.ip, helo: entry.helo, sender: entry.mail_from, mta: 'mx.receiver.example',
                        resolver, disableArc: true, disableBimi: true, curTime: new Date(NOW)
                    });
                    out.push(`${res.spf.status.result}/${dkimWord(res.dkim.results)}/${res.dmarc ? res.dmarc.status.result : "none"}`);
                }
                return out;
            }
        };
    }
};

// Peak RSS in KiB: VmHWM of this process (resourceUsage().maxRSS is carried across
// fork+exec on Linux, so it would include the parent's peak).
function peakRssKb() {
    try {
        const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
        if (m) return Number(m[1]);
    } catch (err) {
        // not Linux: fall back below
    }
    return process.resourceUsage().maxRSS;
}

function median(values) {
    const s = values.slice().sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function main() {
    const [name, dir, runsText, limitFlag, limitText] = process.argv.slice(2);
    const limit = limitFlag === '--limit' ? Number(limitText) : undefined;
    if (!workloads[name] || !dir || !runsText) {
        process.stderr.write('usage: node mailauth_runner.js dkim|spf|full DATA_DIR RUNS\n');
        process.exit(2);
    }
    const runs = Number(runsText);
    const resolver = makeResolver(JSON.parse(fs.readFileSync(path.join(dir, 'dns.json'), 'utf8')));
    const work = await workloads[name](dir, resolver, limit);
    const loadedKb = peakRssKb();
    const outcomes = await work.pass(); // warm-up (JIT, lazy requires)
    const seconds = [];
    for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        await work.pass();
        seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    const rates = seconds.map(s => work.items / s);
    const counts = {};
    const disagreements = [];
    let agree = 0;
    outcomes.forEach((got, i) => {
        counts[got] = (counts[got] || 0) + 1;
        if (got === work.expected[i]) agree++;
        else if (disagreements.length < 5) disagreements.push([i, got, work.expected[i]]);
    });
    const version = require('mailauth/package.json').version;
    process.stdout.write(JSON.stringify({
        items: work.items, unit: work.unit, runs, seconds, rates, median: median(rates),
        rss_peak_kb: peakRssKb(), rss_loaded_kb: loadedKb, agree, outcomes: counts,
        disagreements, tool: 'mailauth', mailauth: version, node: process.version
    }) + '\n');
}

main().catch(err => {
    process.stderr.write(`mailauth_runner: ${err.stack || err}\n`);
    process.exit(1);
});
