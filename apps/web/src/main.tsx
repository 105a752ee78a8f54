import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { registerServiceWorker } from './offline/register-service-worker.ts';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element.');

// The entry chunk's URL carries a hash of all the app's code: it names this build.
const buildId = import.meta.env.PROD ? new URL(import.meta.url).pathname : 'dev';

createRoot(root).render(
  <StrictMode>
    <App buildId={buildId} />
  </StrictMode>,
);

// Production only: the dev server has no sw.js, and a worker there would serve stale modules.
if (import.meta.env.PROD) registerServiceWorker();
