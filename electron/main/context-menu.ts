/**
 * The right-click menu of the window, from Electron's `context-menu` params:
 * spelling suggestions for a misspelled word (replace, add to dictionary),
 * cut / copy / paste / select all in text fields, copy for selected text,
 * copy link address on links. Nothing at all where none applies (no empty
 * menu). Texts in the app's language (the OS's roles would follow the OS).
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MainStrings } from './strings';

/** The part of Electron's ContextMenuParams used here. */
export interface ContextMenuParams {
  isEditable: boolean;
  selectionText: string;
  linkURL: string;
  misspelledWord: string;
  dictionarySuggestions: string[];
  editFlags: { canCut: boolean; canCopy: boolean; canPaste: boolean; canSelectAll: boolean };
}

export interface ContextMenuActions {
  replaceMisspelling(word: string): void;
  addToDictionary(word: string): void;
  copyText(text: string): void;
}

const MAX_SUGGESTIONS = 5;

export function contextMenuTemplate(params: ContextMenuParams, strings: MainStrings, actions: ContextMenuActions): MenuItemConstructorOptions[] {
  const items: MenuItemConstructorOptions[] = [];
  const section = (more: MenuItemConstructorOptions[]) => {
    if (more.length === 0) return;
    if (items.length > 0) items.push({ type: 'separator' });
    items.push(...more);
  };
  if (params.isEditable && params.misspelledWord) {
    const suggestions = params.dictionarySuggestions.slice(0, MAX_SUGGESTIONS);
    section([
      ...(suggestions.length > 0
        ? suggestions.map((word): MenuItemConstructorOptions => ({ label: word, click: () => actions.replaceMisspelling(word) }))
        : [{ label: strings.noSuggestions, enabled: false }]),
      { label: strings.addToDictionary, click: () => actions.addToDictionary(params.misspelledWord) },
    ]);
  }
  if (params.isEditable) {
    const f = params.editFlags;
    section([
      { role: 'cut', label: strings.cut, enabled: f.canCut },
      { role: 'copy', label: strings.copy, enabled: f.canCopy },
      { role: 'paste', label: strings.paste, enabled: f.canPaste },
      { role: 'selectAll', label: strings.selectAll, enabled: f.canSelectAll },
    ]);
  } else if (params.selectionText.trim()) {
    section([{ role: 'copy', label: strings.copy }]);
  }
  if (params.linkURL && /^https?:\/\//i.test(params.linkURL)) {
    section([{ label: strings.copyLink, click: () => actions.copyText(params.linkURL) }]);
  }
  return items;
}
