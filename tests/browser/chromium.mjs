// Headless Chromium for the browser tests: Debian's /usr/bin/chromium with a
// fake microphone, loopback ICE allowed, audio allowed to play without a
// gesture (Chromium only measures received audio while it plays), and a
// fresh profile removed again by closeChromium().
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const profiles = new WeakMap();

export async function launchChromium(profilePrefix = 'floe-chromium-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), profilePrefix));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required'],
  });
  profiles.set(context, dir);
  return context;
}

export async function closeChromium(context) {
  await context.close();
  fs.rmSync(profiles.get(context), { recursive: true, force: true });
}
