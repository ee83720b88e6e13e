/**
 * The bus between gateway nodes. After a commit a node delivers to its own
 * sessions directly and publishes to the subject of every recipient user;
 * every node subscribes to the subjects of the users whose sessions it holds.
 *
 * Delivery is at most once (NATS core). Nothing depends on it: every sync
 * event is stored with the user's sequence, a client that misses a push sees
 * a gap at the next one and pulls, and a node that may have missed messages
 * (it lost its bus connection, or was too slow) is told through
 * `onDisruption` and makes its clients check (see SessionRegistry.resync).
 *
 * Two implementations: InProcessHub (the default: one node, or several in
 * one process in tests) and NatsBus (a cluster).
 */

/** Messages for one user's sessions on this node. */
export type UserListener = (userId: number, data: Uint8Array) => void;
/** Messages for every node (the cluster subject). */
export type ClusterListener = (data: Uint8Array) => void;

export interface Bus {
  /** This node's id, unique in the cluster (kicks and the session directory name nodes by it). */
  readonly nodeId: string;
  /** False while the bus is unreachable (publishes are dropped and the loss is made good on reconnect). */
  readonly connected: boolean;
  /**
   * True while no other node can receive what this one publishes (an
   * in-process hub holding this node only: a server without `--bus`).
   * Callers then skip building bus messages nobody would read.
   */
  readonly alone: boolean;
  onUserMessage: UserListener;
  onClusterMessage: ClusterListener;
  /** Messages may have been lost since the last call (reconnected, slow consumer). */
  onDisruption: () => void;
  /** `connected` changed. */
  onConnectionChange: (connected: boolean) => void;
  /** Start receiving the user's messages; resolves once the subscription is in effect at the bus. */
  subscribe(userId: number): Promise<void>;
  unsubscribe(userId: number): void;
  /** To every other node holding sessions of the user (never back to this node). */
  publish(userId: number, data: Uint8Array): void;
  /** To every other node. */
  publishCluster(data: Uint8Array): void;
  close(): Promise<void>;
}

/** Bus subjects. `prefix` lets several clusters share one NATS. */
export function userSubject(prefix: string, userId: number): string {
  return `${prefix}.u.${userId}`;
}

export function clusterSubject(prefix: string): string {
  return `${prefix}.cluster`;
}

/**
 * An in-process bus: nodes created from the same hub reach each other, in
 * memory, in the next microtask (never synchronously, as over a network).
 * A server with no `--bus` gets a hub of its own: it is then the only node
 * and publishes reach no one.
 */
export class InProcessHub {
  private readonly nodes = new Set<InProcessBus>();

  connect(nodeId: string): Bus {
    const bus = new InProcessBus(nodeId, this);
    this.nodes.add(bus);
    return bus;
  }

  /** @internal */
  deliver(from: InProcessBus, userId: number | undefined, data: Uint8Array): void {
    for (const node of this.nodes) {
      if (node === from) continue;
      if (userId === undefined) queueMicrotask(() => node.receiveCluster(data));
      else if (node.wants(userId)) queueMicrotask(() => node.receiveUser(userId, data));
    }
  }

  /** @internal */
  get size(): number {
    return this.nodes.size;
  }

  /** @internal */
  leave(node: InProcessBus): void {
    this.nodes.delete(node);
  }
}

class InProcessBus implements Bus {
  readonly connected = true;
  onUserMessage: UserListener = () => {};
  onClusterMessage: ClusterListener = () => {};
  onDisruption: () => void = () => {};
  onConnectionChange: (connected: boolean) => void = () => {};
  private readonly subscriptions = new Set<number>();
  private closed = false;

  constructor(
    readonly nodeId: string,
    private readonly hub: InProcessHub,
  ) {}

  get alone(): boolean {
    return this.hub.size <= 1;
  }

  wants(userId: number): boolean {
    return this.subscriptions.has(userId);
  }

  receiveUser(userId: number, data: Uint8Array): void {
    if (!this.closed && this.subscriptions.has(userId)) this.onUserMessage(userId, data);
  }

  receiveCluster(data: Uint8Array): void {
    if (!this.closed) this.onClusterMessage(data);
  }

  subscribe(userId: number): Promise<void> {
    this.subscriptions.add(userId);
    return Promise.resolve();
  }

  unsubscribe(userId: number): void {
    this.subscriptions.delete(userId);
  }

  publish(userId: number, data: Uint8Array): void {
    if (!this.closed) this.hub.deliver(this, userId, data);
  }

  publishCluster(data: Uint8Array): void {
    if (!this.closed) this.hub.deliver(this, undefined, data);
  }

  close(): Promise<void> {
    this.closed = true;
    this.subscriptions.clear();
    this.hub.leave(this);
    return Promise.resolve();
  }
}
