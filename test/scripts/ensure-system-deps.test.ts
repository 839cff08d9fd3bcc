// The decision of `npm test`'s first step: nothing to do, install with apt-get (root and apt-get
// present, apt-get update first), or stop at once with the one command to run. And the script
// itself, run as npm runs it, on this machine where everything is installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { REQUIREMENTS, installed, plan } from '../../scripts/ensure-system-deps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('ensure-system-deps (pretest)', () => {
  it('does nothing when nothing is missing', () => {
    assert.deepEqual(plan({ missing: [], isRoot: false, hasAptGet: false }), { action: 'nothing' });
  });

  it('as root with apt-get: apt-get update, then one install of exactly what is missing', () => {
    assert.deepEqual(plan({ missing: ['chromium', 'postfix'], isRoot: true, hasAptGet: true }), {
      action: 'install',
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium', 'postfix'],
      ],
    });
  });

  it('not root: stops with the one command to run, naming each package and why', () => {
    const p = plan({ missing: ['chromium', 'libsasl2-modules'], isRoot: false, hasAptGet: true });
    assert.equal(p.action, 'stop');
    const message = p.action === 'stop' ? p.message : '';
    assert.match(message, /^ {2}sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium libsasl2-modules$/m);
    assert.match(message, /^ {2}chromium: runs the console tests/m);
    assert.match(message, /^ {2}libsasl2-modules: /m);
    assert.doesNotMatch(message, /postfix|openssl/, 'only what is missing is named');
  });

  it('no apt-get: stops, says so, and still gives the Debian command', () => {
    const p = plan({ missing: ['openssl'], isRoot: true, hasAptGet: false });
    assert.equal(p.action, 'stop');
    assert.match(p.action === 'stop' ? p.message : '', /no apt-get.*\n.*apt-get install -y openssl/);
  });

  it('asks for postfix, sasl2-bin, libsasl2-modules and dovecot-imapd besides chromium and openssl', () => {
    assert.deepEqual(REQUIREMENTS.map((r) => r.pkg).sort(), ['chromium', 'dovecot-imapd', 'libsasl2-modules', 'openssl', 'postfix', 'sasl2-bin']);
    assert.equal(installed('no-such-package-postroom-test'), false, 'an unknown package is missing');
  });

  it('run as npm runs it on a machine that has everything: exits 0 at once, silently', () => {
    const missing = REQUIREMENTS.map((r) => r.pkg).filter((p) => !installed(p));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ensure-system-deps.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    if (missing.length === 0) {
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
    } else {
      // Not this CI machine: the script must still say what to do rather than fail obscurely.
      assert.match(r.stderr, new RegExp(missing[0] as string));
    }
  });
});
