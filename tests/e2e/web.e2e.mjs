// web.e2e.mjs -- orbl-web in a real headless browser (Debian's chromium,
// driven by playwright-core): a visitor submits a server, watches the
// status page reach "confirmed", looks the address up and sees the
// evidence (the relayed test, the arrival, the transcript with the
// hostile banner shown as text and never run), asks for delisting and
// watches the request page until the re-test decides.
//
// Run by tests/system/75-web-e2e.t, which starts orbl-dnsd, orbl-prober,
// orbl-web and an open relay.  Environment:
//   ORBL_WEB_URL     http://127.0.0.1:PORT
//   ORBL_TARGET_IP   the open relay's address, ORBL_TARGET_PORT its port
//   ORBL_HOSTILE     text the relay's banner carries (a <script>)
//   ORBL_ARTIFACTS   where the screenshots go
//   CHROMIUM         the browser (default /usr/bin/chromium)
// Prints "ok - ..." / "not ok - ..." lines; exits 1 on any failure.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.env.ORBL_WEB_URL;
const ip = process.env.ORBL_TARGET_IP;
const port = process.env.ORBL_TARGET_PORT;
const hostile = process.env.ORBL_HOSTILE || '<script>';
const artifacts = process.env.ORBL_ARTIFACTS || 'artifacts';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

let failures = 0;
function check(cond, what) {
	console.log(`${cond ? 'ok' : 'not ok'} - ${what}`);
	if (!cond)
		failures++;
	return cond;
}

// The #state element's data-state, reloaded by the page's own meta
// refresh, until it is one of wanted (or the time is up).
async function waitState(page, attr, wanted, ms, seen) {
	const end = Date.now() + ms;
	let last;
	while (Date.now() < end) {
		try {
			last = await page.locator('#state').getAttribute(attr,
			    { timeout: 3000 });
			if (last && seen && seen[seen.length - 1] !== last)
				seen.push(last);
			if (wanted.includes(last))
				return last;
		} catch (e) {
			// navigating (the meta refresh): look again
		}
		await page.waitForTimeout(300);
	}
	return last;
}

async function shot(page, name) {
	await page.screenshot({ path: join(artifacts, name), fullPage: true });
	console.log(`# screenshot ${join(artifacts, name)}`);
}

async function main() {
	mkdirSync(artifacts, { recursive: true });
	const profile = mkdtempSync(join(tmpdir(), 'orbl-e2e-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath,
		headless: true,
		viewport: { width: 1100, height: 800 },
		args: ['--headless', '--no-sandbox', '--disable-gpu',
		    '--disable-quic', '--no-first-run',
		    '--disable-background-networking',
		    '--disable-component-update', '--disable-sync'],
	});
	const dialogs = [];
	const page = context.pages()[0] || await context.newPage();
	page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
	page.setDefaultTimeout(15000);
	try {
		// 1. The front page: submit the server.
		await page.goto(base + '/');
		check((await page.title()).includes('orbl'), 'front page loads');
		check(await page.locator('form[action$="/submit"] input[name=token]')
		    .count() === 1, 'the submit form carries its token');
		await page.fill('#s-ip', ip);
		await page.fill('#s-port', port);
		await shot(page, '01-front.png');
		await page.click('form[action$="/submit"] button');
		await page.waitForURL(/\/submission\/\d+$/);
		check(true, `submitted: ${page.url()}`);
		await shot(page, '02-submission-queued.png');

		// 2. The status page reloads itself until the verdict.
		const seen = [];
		const final = await waitState(page, 'data-state', ['confirmed',
		    'closed', 'refused', 'unreachable', 'timeout',
		    'accepted-not-delivered', 'bounced', 'protocol-error',
		    'tempfail'], 90000, seen);
		console.log(`# states seen: ${seen.join(' -> ')}`);
		check(final === 'confirmed', `the status page reached "confirmed" ` +
		    `(${final})`);
		check(await page.locator('meta[http-equiv=refresh]').count() === 0,
		    'done: the page stops reloading');
		await shot(page, '03-submission-confirmed.png');

		// 3. The lookup: listed, and the evidence.
		await page.click('text=Look the address up');
		await page.waitForURL(/\/lookup\?ip=/);
		check(await page.locator('#state').getAttribute('data-listed') ===
		    'true', 'lookup: listed');
		const relayed = await page.locator('#relayed').innerText();
		check(/Test \d+ relayed/.test(relayed),
		    'lookup: which test relayed');
		check(/RCPT TO:/.test(relayed), 'lookup: its SMTP replies');
		check(/arrived at the sink on .* from/.test(relayed),
		    'lookup: when and from where the test mail arrived');
		await page.click('details summary');
		const transcript = await page.locator('details pre').innerText();
		check(transcript.includes(hostile),
		    'the hostile banner is shown as text in the transcript');
		check(dialogs.length === 0, 'and no script of it ran');
		await shot(page, '04-lookup-listed.png');
		// The top of it, for the README (docs/web-lookup.png).
		await page.screenshot({ path: join(artifacts,
		    '04-lookup-top.png'), fullPage: true,
		    clip: { x: 0, y: 0, width: 1100, height: 1400 } });
		const api = await page.request.get(`${base}/api/v1/lookup?ip=${ip}`);
		const j = await api.json();
		check(j.listed === true && j.verdict === 'confirmed',
		    'the JSON API agrees');

		// 3b. The other lists: the check page from the lookup's link.
		// orbl's row and the second list's are LISTED (class and
		// text); the second list's hostile TXT is text.
		await page.click('#check-link');
		await page.waitForURL(/\/check\?ip=/);
		const own = page.locator('tr[data-zone="bl.test"]');
		check(await own.getAttribute('class') === 'listed' &&
		    /LISTED/.test(await own.innerText()),
		    'check page: orbl\'s row is marked LISTED');
		const other = page.locator('tr[data-zone="other.test"]');
		check(await other.getAttribute('class') === 'listed' &&
		    /LISTED/.test(await other.innerText()),
		    'check page: the other list\'s row is marked LISTED');
		check((await other.innerText()).includes(hostile),
		    'check page: its hostile TXT is shown as text');
		check(dialogs.length === 0, 'and no script of it ran');
		await shot(page, '04b-check.png');
		await page.goBack();
		await page.waitForURL(/\/lookup\?ip=/);

		// 4. Ask for delisting through the pre-filled form.
		await page.click('#delist-link');
		await page.waitForURL(/\/\?ip=.*#delist$/);
		check(await page.inputValue('#d-ip') === ip,
		    'the delisting form is pre-filled');
		await page.fill('#d-contact', 'owner@relay.example');
		await page.fill('#d-note', 'closed the relay, please re-test');
		await page.click('form[action$="/delist"] button');
		await page.waitForURL(/\/request\/\d+/);
		const first = await page.locator('#state').getAttribute('data-state');
		check(['pending', 'retesting'].includes(first),
		    `the request page: ${first}`);
		await shot(page, '05-request-pending.png');
		const rseen = [];
		const decided = await waitState(page, 'data-state', ['refused',
		    'delisted'], 60000, rseen);
		console.log(`# request states seen: ${rseen.join(' -> ')}`);
		check(decided === 'refused', `the re-test decided: ${decided} ` +
		    '(the relay is still open)');
		const decision = await page.locator('#decision').innerText();
		check(/still an open relay/.test(decision),
		    'the decision says why');
		await shot(page, '06-request-refused.png');
		check(dialogs.length === 0, 'no dialog opened anywhere');
	} catch (e) {
		check(false, `browser run: ${e.message.split('\n')[0]}`);
		await shot(page, '99-failure.png').catch(() => {});
	} finally {
		await context.close();
		rmSync(profile, { recursive: true, force: true });
	}
}

main().then(() => process.exit(failures ? 1 : 0), (e) => {
	console.log(`not ok - ${e.message}`);
	process.exit(1);
});
