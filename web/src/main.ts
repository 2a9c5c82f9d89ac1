// Entry point: route on location.pathname (one single-page app for all pages).

import { renderAccount, renderUsers } from './account';
import { renderAudit } from './admin';
import { renderLogin, renderSetup } from './auth';
import { renderChatReview } from './chatreview';
import { appRoot, clear, h } from './dom';
import { installHook } from './hook';
import { renderGuestRequest } from './guestrequest';
import { renderHome } from './home';
import { page } from './layout';
import { renderMeeting } from './meeting';
import { renderNoticeAdmin } from './notice';
import { renderProcessing } from './processing';
import { renderRecordings } from './recordings';
import { renderRequests } from './requests';

const MEETING_PATH = /^\/m\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})$/;

async function route(): Promise<void> {
  const root = appRoot();
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const meeting = MEETING_PATH.exec(path);
  if (path === '/') {
    installHook('home', null);
    await renderHome(root);
  } else if (path === '/login') {
    installHook('login', null);
    await renderLogin(root);
  } else if (path === '/setup') {
    installHook('setup', null);
    renderSetup(root);
  } else if (path === '/account') {
    installHook('account', null);
    await renderAccount(root);
  } else if (path === '/admin/users') {
    installHook('users', null);
    await renderUsers(root);
  } else if (path === '/admin/audit') {
    installHook('audit', null);
    await renderAudit(root);
  } else if (path === '/admin/privacy') {
    installHook('privacy_notice', null);
    await renderNoticeAdmin(root);
  } else if (path === '/admin/requests') {
    installHook('requests', null);
    await renderRequests(root);
  } else if (path === '/privacy/request') {
    installHook('guest_request', null);
    renderGuestRequest(root);
  } else if (path === '/admin/processing') {
    installHook('processing', null);
    await renderProcessing(root);
  } else if (path === '/admin/chat') {
    // No test hook of its own yet: hook.ts names the routes it knows.
    await renderChatReview(root);
  } else if (path === '/recordings') {
    // No test hook of its own yet: hook.ts names the routes it knows.
    await renderRecordings(root);
  } else if (meeting && meeting[1]) {
    // renderMeeting installs its own hook with live state.
    await renderMeeting(root, meeting[1]);
  } else {
    installHook('not_found', null);
    clear(root);
    root.appendChild(
      page('Not found', [
        h('section', { class: 'card narrow' }, [
          h('h1', { text: 'Page not found' }),
          h('p', {}, ['There is nothing here. ', h('a', { href: '/', text: 'Go to the start page' }), '.']),
        ]),
      ]),
    );
  }
}

function start(): void {
  route().catch((e: unknown) => {
    console.error('conclave: failed to render', e);
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
