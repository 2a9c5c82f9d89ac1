// The background effects a person can pick (none, blur, a built-in
// background or a picture of their own), remembered in this browser, and
// the picker shown on the pre-join screen and in the call. The pictures
// are drawn here (gradients), so nothing is fetched; a person's own
// picture is read from a file they choose and stays in this browser
// (localStorage), never uploaded.

import { h } from './dom';
import type { Backdrop } from './segmenter';
import { load, save } from './storage';

export type Effect = 'none' | 'blur' | 'calm' | 'warm' | 'studio' | 'own';

export const EFFECT_LABELS: Readonly<Record<Effect, string>> = {
  none: 'None',
  blur: 'Blur',
  calm: 'Calm blue',
  warm: 'Warm light',
  studio: 'Grey studio',
  own: 'Your own picture…',
};

const EFFECTS = Object.keys(EFFECT_LABELS) as Effect[];
const EFFECT_KEY = 'effect';
const PICTURE_KEY = 'effectPicture';
/** The own picture is kept at most this size (a JPEG of ~100 KB fits localStorage). */
const PICTURE_MAX = { w: 1280, h: 720 };

function isEffect(v: string | null): v is Effect {
  return v !== null && (EFFECTS as string[]).includes(v);
}

/** The effect this browser remembers ('none' at first, and for 'own' without a picture). */
export function loadEffect(): Effect {
  const v = load(EFFECT_KEY);
  if (!isEffect(v)) return 'none';
  if (v === 'own' && load(PICTURE_KEY) === null) return 'none';
  return v;
}

export function saveEffect(e: Effect): void {
  save(EFFECT_KEY, e);
}

type Painter = (ctx: CanvasRenderingContext2D, w: number, hgt: number) => void;

const PAINTERS: Partial<Record<Effect, Painter>> = {
  calm: (ctx, w, hgt) => {
    const g = ctx.createLinearGradient(0, 0, w, hgt);
    g.addColorStop(0, '#1e3a5f');
    g.addColorStop(1, '#6fa3c7');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, w, hgt);
  },
  warm: (ctx, w, hgt) => {
    const g = ctx.createLinearGradient(0, 0, 0, hgt);
    g.addColorStop(0, '#f6d365');
    g.addColorStop(1, '#fda085');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, w, hgt);
  },
  studio: (ctx, w, hgt) => {
    const g = ctx.createRadialGradient(w / 2, hgt / 2, 0, w / 2, hgt / 2, Math.max(w, hgt) * 0.7);
    g.addColorStop(0, '#d9d9d9');
    g.addColorStop(1, '#5a5a5a');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, w, hgt);
  },
};

/** A picture painted once per output size. */
function painted(paint: Painter): Backdrop {
  let canvas: HTMLCanvasElement | null = null;
  return {
    kind: 'picture',
    picture: (w, hgt) => {
      if (!canvas || canvas.width !== w || canvas.height !== hgt) {
        canvas = document.createElement('canvas');
        canvas.width = w;
        canvas.height = hgt;
        const ctx = canvas.getContext('2d');
        if (ctx) paint(ctx, w, hgt);
      }
      return canvas;
    },
  };
}

/** Draws img to cover w×hgt, cropping what does not fit. */
function cover(img: HTMLImageElement | ImageBitmap): Painter {
  return (ctx, w, hgt) => {
    const scale = Math.max(w / img.width, hgt / img.height);
    const dw = img.width * scale;
    const dh = img.height * scale;
    ctx.drawImage(img, (w - dw) / 2, (hgt - dh) / 2, dw, dh);
  };
}

/** The backdrop of an effect; null for 'none'. */
export async function backdropOf(e: Effect): Promise<Backdrop | null> {
  if (e === 'none') return null;
  if (e === 'blur') return { kind: 'blur' };
  if (e === 'own') {
    const data = load(PICTURE_KEY);
    if (data === null) throw new Error('no picture was chosen');
    const img = new Image();
    img.src = data; // a data: URL, from this browser's storage
    await img.decode();
    return painted(cover(img));
  }
  const paint = PAINTERS[e];
  if (!paint) throw new Error(`unknown effect ${e}`);
  return painted(paint);
}

/**
 * Reads a picture file the person chose, shrinks it and keeps it in this
 * browser as the 'own' background. It is never sent anywhere.
 */
export async function keepOwnPicture(file: File): Promise<void> {
  const bmp = await createImageBitmap(file);
  const scale = Math.min(1, PICTURE_MAX.w / bmp.width, PICTURE_MAX.h / bmp.height);
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bmp.width * scale));
  canvas.height = Math.max(1, Math.round(bmp.height * scale));
  canvas.getContext('2d')?.drawImage(bmp, 0, 0, canvas.width, canvas.height);
  bmp.close();
  save(PICTURE_KEY, canvas.toDataURL('image/jpeg', 0.85));
  if (load(PICTURE_KEY) === null) throw new Error('this browser could not keep the picture');
}

/**
 * The picker: a labelled select, and a hidden file input that "Your own
 * picture…" opens. onPick gets the effect once it can be used.
 */
export class EffectPicker {
  readonly el: HTMLElement;
  readonly select: HTMLSelectElement;
  private readonly file: HTMLInputElement;
  private current: Effect;

  constructor(id: string, initial: Effect, onPick: (e: Effect) => void, label = 'Background') {
    this.current = initial;
    this.select = h('select', { id, 'aria-describedby': id + '-hint' });
    for (const e of EFFECTS) this.select.appendChild(h('option', { value: e, text: EFFECT_LABELS[e], selected: e === initial }));
    this.file = h('input', { type: 'file', accept: 'image/*', id: id + '-file', 'aria-label': 'Choose a background picture' });
    this.file.hidden = true;
    const hint = h('span', { class: 'sr-only', id: id + '-hint', text: 'Blur or replace what is behind you. Computed in this browser.' });
    this.el = h('div', { class: 'effect-picker' }, [h('label', { for: id, text: label }), this.select, hint, this.file]);
    this.select.addEventListener('change', () => {
      const v = this.select.value;
      if (!isEffect(v)) return;
      if (v === 'own') {
        // The picture comes first; until then the old choice stands.
        this.select.value = this.current;
        this.file.click();
        return;
      }
      this.current = v;
      onPick(v);
    });
    this.file.addEventListener('change', () => {
      const f = this.file.files?.[0];
      this.file.value = '';
      if (!f) return;
      void keepOwnPicture(f).then(
        () => {
          this.set('own');
          onPick('own');
        },
        (e: unknown) => console.warn('conclave: background picture refused', e),
      );
    });
  }

  set(e: Effect): void {
    this.current = e;
    this.select.value = e;
  }
}
