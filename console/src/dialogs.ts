// Modal dialogs on the native <dialog> element: focus is trapped and Escape cancels, for free.
import { h } from './dom.js';

/** Asks for the bearer token; shows `problem` (a refused token) in an alert. */
export function askForToken(problem?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = h('input', { id: 'token-input', name: 'token', type: 'password', autocomplete: 'off', required: true });
    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'token-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'token-title' }, 'This server needs a token'),
        problem ? h('p', { class: 'error', role: 'alert' }, problem) : null,
        h('p', {}, 'It is kept for this browser tab only.'),
        h('label', { for: 'token-input' }, 'Bearer token'),
        input,
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'submit', value: 'ok', class: 'primary' }, 'Use token'),
          h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel'),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      const token = input.value.trim();
      if (dialog.returnValue === 'ok' && token !== '') resolve(token);
      else reject(new Error('no token given'));
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

export interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel: string;
  /** A checkbox offered with the question (e.g. purge_all); its state comes back. */
  option?: string;
}

/** Resolves with null when cancelled, otherwise with the state of the option checkbox. */
export function confirmAction({ title, message, confirmLabel, option }: ConfirmOptions): Promise<{ option: boolean } | null> {
  return new Promise((resolve) => {
    const checkbox = h('input', { id: 'confirm-option', type: 'checkbox' });
    const cancel = h('button', { type: 'submit', value: 'cancel' }, 'Cancel');
    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-message', role: 'alertdialog' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, title),
        h('p', { id: 'confirm-message' }, message),
        option ? h('p', { class: 'check' }, checkbox, ' ', h('label', { for: 'confirm-option' }, option)) : null,
        h('div', { class: 'actions' }, h('button', { type: 'submit', value: 'ok', class: 'danger' }, confirmLabel), cancel),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'ok' ? { option: checkbox.checked } : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    // The safe choice has the focus: Enter alone never destroys anything.
    cancel.focus();
  });
}
