// The server's recent log events: a bounded ring numbered from 1, so a client holding a cursor
// (`after`) sees events that happened before its wait arrived.
import type {LogEvent, LogEventName} from './protocol.js';

export class EventRing {
  private readonly ring: LogEvent[] = [];
  private readonly listeners = new Set<(e: LogEvent) => void>();
  /** The seq of the newest event (0 before the first). */
  seq = 0;

  constructor(private readonly capacity = 4096) {}

  /** Record an event and tell the listeners. */
  push(uuid: string, luid: bigint, event: LogEventName): LogEvent {
    const e: LogEvent = {seq: ++this.seq, time: new Date().toISOString(), uuid, luid: luid.toString(), event};
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    for (const l of this.listeners) l(e);
    return e;
  }

  /** Events with seq > after, oldest first (only those still in the ring). */
  since(after: number): LogEvent[] {
    const first = this.ring.findIndex((e) => e.seq > after);
    return first < 0 ? [] : this.ring.slice(first);
  }

  subscribe(listener: (e: LogEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
