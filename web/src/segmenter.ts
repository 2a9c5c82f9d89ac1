// Background blur and virtual backgrounds, computed in this browser: the
// camera's frames go through a person-segmentation model and are
// composited on a canvas, whose stream is what the preview shows and the
// call sends. Nothing leaves the browser but that composited video.
//
// The model is MediaPipe Selfie Segmentation (Apache-2.0), from the npm
// package @mediapipe/selfie_segmentation, copied by cmd/buildweb into the
// server's own static files and served from /static/segmentation/: never
// a CDN. Its loader is a closure-compiled script that does not survive
// bundling, so it is added as a <script> of this origin the first time a
// person picks an effect; the rest of the time the page loads none of it.
// It compiles WebAssembly, which the meeting page's CSP allows
// ('wasm-unsafe-eval'; docs/security.md).

const BASE = '/static/segmentation/';
/** The landscape model (256×144): made for video calls, and the only one shipped. */
const LANDSCAPE_MODEL = 1;
const FRAME_MS = 1000 / 30;

interface Results {
  image: CanvasImageSource;
  segmentationMask: CanvasImageSource;
}

interface Segmentation {
  close(): Promise<void>;
  onResults(listener: (r: Results) => void): void;
  initialize(): Promise<void>;
  send(inputs: { image: HTMLVideoElement }): Promise<void>;
  setOptions(options: { modelSelection?: number; selfieMode?: boolean }): void;
}

type SegmentationClass = new (config: { locateFile: (file: string) => string }) => Segmentation;

let library: Promise<SegmentationClass> | null = null;

/** Loads the loader script once; a failed load may be tried again later. */
function loadLibrary(): Promise<SegmentationClass> {
  if (library) return library;
  const p = new Promise<SegmentationClass>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = BASE + 'selfie_segmentation.js';
    script.async = true;
    script.addEventListener('load', () => {
      const cls = (window as unknown as { SelfieSegmentation?: SegmentationClass }).SelfieSegmentation;
      if (cls) resolve(cls);
      else reject(new Error('the segmentation model did not load'));
    });
    script.addEventListener('error', () => reject(new Error('the segmentation model could not be loaded')));
    document.head.appendChild(script);
  });
  library = p;
  p.catch(() => {
    if (library === p) library = null;
  });
  return p;
}

/** What replaces the background: a blur of it, or a picture. */
export type Backdrop = { kind: 'blur' } | { kind: 'picture'; picture: (w: number, h: number) => CanvasImageSource };

/** Canvas filters (not in Safari before 18) blur well; without, a shrink-and-stretch does. */
const hasCanvasFilter = typeof CanvasRenderingContext2D !== 'undefined' && 'filter' in CanvasRenderingContext2D.prototype;

/**
 * One running effect on one camera track. The input track stays the
 * caller's; stop() ends the output track and frees the model.
 */
export class EffectPipeline {
  readonly track: MediaStreamTrack;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly small = document.createElement('canvas');

  private constructor(
    private readonly seg: Segmentation,
    private readonly video: HTMLVideoElement,
    private readonly canvas: HTMLCanvasElement,
    private readonly ctx: CanvasRenderingContext2D,
    private readonly backdrop: Backdrop,
  ) {
    const stream = canvas.captureStream(30);
    const track = stream.getVideoTracks()[0];
    if (!track) throw new Error('this browser cannot stream a canvas');
    this.track = track;
    seg.onResults((r) => this.draw(r));
  }

  /** Starts the effect; resolves once the first processed frame is drawn. */
  static async start(input: MediaStreamTrack, backdrop: Backdrop): Promise<EffectPipeline> {
    const Cls = await loadLibrary();
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([input]);
    await video.play();
    const { width, height } = input.getSettings();
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth || width || 640;
    canvas.height = video.videoHeight || height || 360;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    const seg = new Cls({ locateFile: (file) => BASE + file });
    let p: EffectPipeline;
    try {
      seg.setOptions({ modelSelection: LANDSCAPE_MODEL, selfieMode: false });
      p = new EffectPipeline(seg, video, canvas, ctx, backdrop);
      await seg.initialize();
      await seg.send({ image: video });
    } catch (e) {
      video.srcObject = null;
      void seg.close().catch(() => undefined);
      throw e;
    }
    p.schedule(0);
    return p;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.track.stop();
    this.video.srcObject = null;
    void this.seg.close().catch(() => undefined);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.step(), delay);
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    const began = performance.now();
    try {
      if (this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) await this.seg.send({ image: this.video });
    } catch (e) {
      // Failing open would send the very background the person chose to
      // hide: the last processed frame stays until they pick again.
      console.warn('conclave: background effect stopped', e);
      this.stopped = true;
      return;
    }
    this.schedule(Math.max(0, FRAME_MS - (performance.now() - began)));
  }

  private draw(r: Results): void {
    if (this.stopped) return;
    const { canvas, ctx } = this;
    const w = this.video.videoWidth || canvas.width;
    const h = this.video.videoHeight || canvas.height;
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    ctx.save();
    ctx.clearRect(0, 0, w, h);
    // The person: the mask's opacity cut out of the frame.
    ctx.drawImage(r.segmentationMask, 0, 0, w, h);
    ctx.globalCompositeOperation = 'source-in';
    ctx.drawImage(r.image, 0, 0, w, h);
    // Behind the person: the backdrop.
    ctx.globalCompositeOperation = 'destination-over';
    if (this.backdrop.kind === 'picture') {
      ctx.drawImage(this.backdrop.picture(w, h), 0, 0, w, h);
    } else if (hasCanvasFilter) {
      const radius = Math.max(4, Math.round(w / 40));
      ctx.filter = `blur(${radius}px)`;
      // Drawn a little larger, so the blur does not fade at the edges.
      ctx.drawImage(r.image, -2 * radius, -2 * radius, w + 4 * radius, h + 4 * radius);
      ctx.filter = 'none';
    } else {
      const sw = Math.max(8, Math.round(w / 24));
      const sh = Math.max(8, Math.round(h / 24));
      this.small.width = sw;
      this.small.height = sh;
      this.small.getContext('2d')?.drawImage(r.image, 0, 0, sw, sh);
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(this.small, 0, 0, w, h);
    }
    ctx.restore();
  }
}
