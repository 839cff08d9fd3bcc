// The one page the server renders itself: the first-start page, where the administrator uses
// the one-time setup link to choose a password (it must work before anyone can sign in).
import type { FastifyInstance, FastifyReply } from 'fastify';

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Postroom</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d2430}
h1{font-size:1.4rem}label{display:block;margin:1rem 0 .3rem;font-weight:600}
input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1.2rem;font:inherit}
.msg{margin-top:1rem}.err{color:#a4161a}.ok{color:#1b6b2f}code{background:#eef1f5;padding:0 .25rem}
</style></head><body>${body}</body></html>`;

const SETUP = page(
  'First start',
  `<h1>Choose the administrator password</h1>
<p>This page works once, with the link Postroom printed on its terminal at start.</p>
<form id="f"><label for="p1">New password for <code>admin</code> (at least 12 characters)</label>
<input id="p1" type="password" autocomplete="new-password" required minlength="12">
<label for="p2">The same password again</label><input id="p2" type="password" autocomplete="new-password" required minlength="12">
<button>Set the password</button></form><p id="m" class="msg" role="status"></p>
<script>
const f=document.getElementById('f'),m=document.getElementById('m');
const token=new URLSearchParams(location.hash.slice(1)).get('token')||'';
if(!token){m.className='msg err';m.textContent='This link has no setup token: use the link printed at start, or run "postroom admin password".';}
f.addEventListener('submit',async e=>{e.preventDefault();
const a=document.getElementById('p1').value,b=document.getElementById('p2').value;
if(a!==b){m.className='msg err';m.textContent='The two passwords differ.';return;}
const r=await fetch('/api/v1/auth/setup',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({token,password:a})});
const j=await r.json().catch(()=>({}));
if(r.ok){history.replaceState(null,'','/setup');f.remove();m.className='msg ok';m.textContent='Done: you are signed in as admin.';}
else{m.className='msg err';m.textContent=j.message||('Refused ('+r.status+')');}});
</script>`,
);

const CSP = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'";

const html = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(body);

export function pageRoutes(app: FastifyInstance): void {
  app.get('/setup', (_req, reply) => html(reply, SETUP));
}
