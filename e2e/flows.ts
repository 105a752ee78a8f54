import type { Page } from 'playwright-core';

/** What a person does in the SPA, step by step, for the browser tests. */

export async function register(page: Page, url: string, username: string) {
  await page.goto(url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your workspaces' }).waitFor();
}

/** Creates a workspace, opens it, and returns its invite code. */
export async function createWorkspace(page: Page, name: string): Promise<string> {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  const inviteCode = (await page.locator('output.code').textContent())!.trim();
  await page.getByRole('button', { name: `Open ${name}` }).click();
  return inviteCode;
}

export async function joinWorkspace(page: Page, inviteCode: string) {
  await page.getByRole('textbox', { name: 'Invite code' }).fill(inviteCode);
  await page.getByRole('button', { name: 'Join workspace' }).click();
}

export async function send(page: Page, body: string, room = 'general') {
  const composer = page.getByLabel(`Message #${room}`);
  await composer.fill(body);
  await composer.press('Enter');
}

export const bodies = (page: Page) => page.locator('.message-body').allTextContents();

/** Each message's text and state (`sent`, `sending`, `queued`, `failed`), in the order shown. */
export const messagesWithStatus = (page: Page) =>
  page.locator('li.message').evaluateAll((rows) =>
    rows.map((row) => [row.querySelector('.message-body')?.textContent ?? '', row.getAttribute('data-status') ?? '']),
  );
