// The one page the server renders itself: the first-start page, where the administrator uses
// the one-time setup link to choose a password (it must work before anyone can sign in).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { preferredLanguage, type Language } from '../language.js';

const WORDS: Record<Language, Record<string, string>> = {
  en: {
    title: 'First start',
    heading: 'Choose the administrator password',
    intro: 'This page works once, with the link Postroom printed in its log at start.',
    p1: 'New password for <code>admin</code> (at least 12 characters)',
    p2: 'The same password again',
    submit: 'Set the password',
    noToken: 'This link has no setup token: use the link from the log, or run "postroom admin password".',
    differ: 'The two passwords differ.',
    done: 'Done: you are signed in as admin. Opening Configuration > Email…',
    next: 'Configuration > Email',
    refused: 'Refused',
  },
  fr: {
    title: 'Premier démarrage',
    heading: 'Choisissez le mot de passe administrateur',
    intro: 'Cette page ne fonctionne qu’une fois, avec le lien que Postroom a affiché dans son journal au démarrage.',
    p1: 'Nouveau mot de passe pour <code>admin</code> (12 caractères au moins)',
    p2: 'Le même mot de passe, à nouveau',
    submit: 'Enregistrer le mot de passe',
    noToken: 'Ce lien ne contient pas de jeton d’installation : utilisez le lien du journal, ou lancez « postroom admin password ».',
    differ: 'Les deux mots de passe sont différents.',
    done: 'C’est fait : vous êtes connecté en tant qu’admin. Ouverture de Configuration > E-mail…',
    next: 'Configuration > E-mail',
    refused: 'Refusé',
  },
};

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function setupPage(lang: Language): string {
  const w = WORDS[lang];
  // Messages the script shows, as JSON inside the page (never markup).
  const said = JSON.stringify({ noToken: w.noToken, differ: w.differ, done: w.done, refused: w.refused }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(w.title ?? '')} · Postroom</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="icon" href="/favicon.ico" sizes="16x16 32x32">
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d2430}
h1{font-size:1.4rem}label{display:block;margin:1rem 0 .3rem;font-weight:600}
input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1.2rem;font:inherit}
.msg{margin-top:1rem}.err{color:#a4161a}.ok{color:#1b6b2f}code{background:#eef1f5;padding:0 .25rem}
</style></head><body><main>
<h1>${escapeHtml(w.heading ?? '')}</h1>
<p>${escapeHtml(w.intro ?? '')}</p>
<form id="f"><label for="p1">${w.p1}</label>
<input id="p1" type="password" autocomplete="new-password" required minlength="12">
<label for="p2">${escapeHtml(w.p2 ?? '')}</label><input id="p2" type="password" autocomplete="new-password" required minlength="12">
<button>${escapeHtml(w.submit ?? '')}</button></form><p id="m" class="msg" role="status"></p>
<p id="next" hidden><a href="/config/email">${escapeHtml(w.next ?? '')}</a></p>
</main>
<script>
const said=${said};
const f=document.getElementById('f'),m=document.getElementById('m');
const token=new URLSearchParams(location.hash.slice(1)).get('token')||'';
if(!token){m.className='msg err';m.textContent=said.noToken;}
f.addEventListener('submit',async e=>{e.preventDefault();
const a=document.getElementById('p1').value,b=document.getElementById('p2').value;
if(a!==b){m.className='msg err';m.textContent=said.differ;return;}
const r=await fetch('/api/v1/auth/setup',{method:'POST',headers:{'content-type':'application/json','accept-language':document.documentElement.lang},body:JSON.stringify({token,password:a})});
const j=await r.json().catch(()=>({}));
if(r.ok){history.replaceState(null,'','/setup');f.remove();m.className='msg ok';m.textContent=said.done;
document.getElementById('next').hidden=false;location.assign('/config/email');}
else{m.className='msg err';m.textContent=j.message||(said.refused+' ('+r.status+')');}});
</script></body></html>`;
}

const PAGES: Record<Language, string> = { en: setupPage('en'), fr: setupPage('fr') };

const CSP = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'";

const html = (reply: FastifyReply, body: string) =>
  reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('vary', 'accept-language').send(body);

export function pageRoutes(app: FastifyInstance): void {
  app.get('/setup', (req, reply) => html(reply, PAGES[preferredLanguage(req.headers['accept-language'])]));
}
