/**
 * Handshake patterns as token lists (Noise spec, sections 7.4-7.6 and 9):
 * the one-way and interactive fundamental patterns, the deferred patterns,
 * and `pskN` modifiers applied on top.
 */
import { NoiseError } from './errors';

export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk';

export interface HandshakePattern {
  /** The pattern name with modifiers, e.g. NK or NNpsk0. */
  name: string;
  /** Pre-message keys: 's' of the initiator / responder known in advance. */
  initiatorPre: readonly 's'[];
  responderPre: readonly 's'[];
  /** Messages in order; message i is sent by the initiator when i is even. */
  messages: readonly (readonly Token[])[];
  oneWay: boolean;
  hasPsk: boolean;
}

interface BasePattern {
  pre: { i?: 's'; r?: 's' };
  messages: string[];
}

/** Base patterns in the spec's notation, one message per entry ("->" / "<-" implied by position). */
const BASE: Record<string, BasePattern> = {
  // One-way (7.4): a single message from the initiator.
  N: { pre: { r: 's' }, messages: ['e, es'] },
  K: { pre: { i: 's', r: 's' }, messages: ['e, es, ss'] },
  X: { pre: { r: 's' }, messages: ['e, es, s, ss'] },
  // Interactive fundamental (7.5).
  NN: { pre: {}, messages: ['e', 'e, ee'] },
  NK: { pre: { r: 's' }, messages: ['e, es', 'e, ee'] },
  NX: { pre: {}, messages: ['e', 'e, ee, s, es'] },
  KN: { pre: { i: 's' }, messages: ['e', 'e, ee, se'] },
  KK: { pre: { i: 's', r: 's' }, messages: ['e, es, ss', 'e, ee, se'] },
  KX: { pre: { i: 's' }, messages: ['e', 'e, ee, se, s, es'] },
  XN: { pre: {}, messages: ['e', 'e, ee', 's, se'] },
  XK: { pre: { r: 's' }, messages: ['e, es', 'e, ee', 's, se'] },
  XX: { pre: {}, messages: ['e', 'e, ee, s, es', 's, se'] },
  IN: { pre: {}, messages: ['e, s', 'e, ee, se'] },
  IK: { pre: { r: 's' }, messages: ['e, es, s, ss', 'e, ee, se'] },
  IX: { pre: {}, messages: ['e, s', 'e, ee, se, s, es'] },
  // Deferred (7.6).
  NK1: { pre: { r: 's' }, messages: ['e', 'e, ee, es'] },
  NX1: { pre: {}, messages: ['e', 'e, ee, s', 'es'] },
  X1N: { pre: {}, messages: ['e', 'e, ee', 's', 'se'] },
  X1K: { pre: { r: 's' }, messages: ['e, es', 'e, ee', 's', 'se'] },
  XK1: { pre: { r: 's' }, messages: ['e', 'e, ee, es', 's, se'] },
  X1K1: { pre: { r: 's' }, messages: ['e', 'e, ee, es', 's', 'se'] },
  X1X: { pre: {}, messages: ['e', 'e, ee, s, es', 's', 'se'] },
  XX1: { pre: {}, messages: ['e', 'e, ee, s', 'es, s, se'] },
  X1X1: { pre: {}, messages: ['e', 'e, ee, s', 'es, s', 'se'] },
  K1N: { pre: { i: 's' }, messages: ['e', 'e, ee', 'se'] },
  K1K: { pre: { i: 's', r: 's' }, messages: ['e, es', 'e, ee', 'se'] },
  KK1: { pre: { i: 's', r: 's' }, messages: ['e', 'e, ee, se, es'] },
  K1K1: { pre: { i: 's', r: 's' }, messages: ['e', 'e, ee, es', 'se'] },
  K1X: { pre: { i: 's' }, messages: ['e', 'e, ee, s, es', 'se'] },
  KX1: { pre: { i: 's' }, messages: ['e', 'e, ee, se, s', 'es'] },
  K1X1: { pre: { i: 's' }, messages: ['e', 'e, ee, s', 'se, es'] },
  I1N: { pre: {}, messages: ['e, s', 'e, ee', 'se'] },
  I1K: { pre: { r: 's' }, messages: ['e, es, s', 'e, ee', 'se'] },
  IK1: { pre: { r: 's' }, messages: ['e, s', 'e, ee, se, es'] },
  I1K1: { pre: { r: 's' }, messages: ['e, s', 'e, ee, es', 'se'] },
  I1X: { pre: {}, messages: ['e, s', 'e, ee, s, es', 'se'] },
  IX1: { pre: {}, messages: ['e, s', 'e, ee, se, s', 'es'] },
  I1X1: { pre: {}, messages: ['e, s', 'e, ee, s', 'se, es'] },
};

const ONE_WAY = new Set(['N', 'K', 'X']);
const TOKENS = new Set<string>(['e', 's', 'ee', 'es', 'se', 'ss']);

function parseMessage(text: string): Token[] {
  return text.split(',').map((raw) => {
    const token = raw.trim();
    if (!TOKENS.has(token)) throw new NoiseError(`bad token ${token}`);
    return token as Token;
  });
}

/** Resolves a pattern name with optional `pskN` modifiers (joined by '+'), e.g. "NKpsk0" or "XXpsk0+psk3". */
export function resolvePattern(name: string): HandshakePattern {
  const match = /^([A-Z0-9]+?)((?:psk\d+\+?)*)$/.exec(name);
  const baseName = match?.[1];
  const base = baseName === undefined ? undefined : BASE[baseName];
  if (!match || !baseName || !base) throw new NoiseError(`unknown handshake pattern ${name}`);
  const messages = base.messages.map(parseMessage);
  const modifiers = match[2] ? match[2].split('+').filter((m) => m.length > 0) : [];
  for (const modifier of modifiers) {
    const index = Number(modifier.slice(3));
    if (index === 0) {
      messages[0]!.unshift('psk');
    } else {
      const message = messages[index - 1];
      if (!message) throw new NoiseError(`modifier ${modifier} is past the last message of ${baseName}`);
      message.push('psk');
    }
  }
  return {
    name,
    initiatorPre: base.pre.i ? ['s'] : [],
    responderPre: base.pre.r ? ['s'] : [],
    messages,
    oneWay: ONE_WAY.has(baseName),
    hasPsk: modifiers.length > 0,
  };
}

export const BASE_PATTERN_NAMES: readonly string[] = Object.keys(BASE);
