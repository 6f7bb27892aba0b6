/** A `ping` every `intervalMs` while authenticated, to stay under the gateway's idle timeout (10 minutes on AWS). */
export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly beat: () => void,
  ) {}

  start(): void {
    this.stop();
    if (this.intervalMs > 0 && Number.isFinite(this.intervalMs)) this.timer = setInterval(this.beat, this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
