// Inline SVG icons drawn with DOM calls (no external requests, no innerHTML).
// Stroke, fill and size come from the .icon class in app.css.

const NS = 'http://www.w3.org/2000/svg';

type Shape = [tag: 'path' | 'rect' | 'line' | 'polyline' | 'polygon' | 'circle', attrs: Record<string, string>];

const SLASH: Shape = ['line', { x1: '3', y1: '3', x2: '21', y2: '21' }];

const MIC: Shape[] = [
  ['rect', { x: '9', y: '2', width: '6', height: '12', rx: '3' }],
  ['path', { d: 'M5 11a7 7 0 0 0 14 0' }],
  ['line', { x1: '12', y1: '18', x2: '12', y2: '22' }],
  ['line', { x1: '8', y1: '22', x2: '16', y2: '22' }],
];

const CAMERA: Shape[] = [
  ['rect', { x: '2', y: '6', width: '13', height: '12', rx: '2' }],
  ['polygon', { points: '15 10 22 6 22 18 15 14' }],
];

const ICONS = {
  mic: MIC,
  micOff: [...MIC, SLASH],
  camera: CAMERA,
  cameraOff: [...CAMERA, SLASH],
  screen: [
    ['rect', { x: '2', y: '3', width: '20', height: '14', rx: '2' }],
    ['line', { x1: '8', y1: '21', x2: '16', y2: '21' }],
    ['line', { x1: '12', y1: '17', x2: '12', y2: '21' }],
    ['polyline', { points: '9 10 12 7 15 10' }],
    ['line', { x1: '12', y1: '7', x2: '12', y2: '13' }],
  ],
  leave: [
    ['path', { d: 'M14 3h5a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-5' }],
    ['polyline', { points: '9 17 4 12 9 7' }],
    ['line', { x1: '4', y1: '12', x2: '15', y2: '12' }],
  ],
  link: [
    ['path', { d: 'M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7' }],
    ['path', { d: 'M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7' }],
  ],
  verified: [
    ['path', { d: 'M12 2l8 4v6c0 5-3.5 9-8 10-4.5-1-8-5-8-10V6z' }],
    ['polyline', { points: '9 12 11 14 15 10' }],
  ],
  people: [
    ['circle', { cx: '9', cy: '8', r: '3.5' }],
    ['path', { d: 'M2 20a7 7 0 0 1 14 0' }],
    ['path', { d: 'M16 4.5a3.5 3.5 0 0 1 0 7' }],
    ['path', { d: 'M18 14a6 6 0 0 1 4 6' }],
  ],
  chat: [['path', { d: 'M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4V5a1 1 0 0 1 1-1z' }]],
  clock: [
    ['circle', { cx: '12', cy: '12', r: '9' }],
    ['polyline', { points: '12 7 12 12 15 14' }],
  ],
  lock: [
    ['rect', { x: '4', y: '11', width: '16', height: '10', rx: '2' }],
    ['path', { d: 'M8 11V7a4 4 0 0 1 8 0v4' }],
  ],
  shield: [['path', { d: 'M12 2l8 4v6c0 5-3.5 9-8 10-4.5-1-8-5-8-10V6z' }]],
  sound: [
    ['polygon', { points: '11 5 6 9 2 9 2 15 6 15 11 19 11 5' }],
    ['path', { d: 'M15.5 8.5a5 5 0 0 1 0 7' }],
    ['path', { d: 'M19 5a10 10 0 0 1 0 14' }],
  ],
  attach: [['path', { d: 'M21 11.5l-8.6 8.6a5 5 0 0 1-7-7l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l8-8' }]],
  file: [
    ['path', { d: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z' }],
    ['polyline', { points: '14 2 14 8 20 8' }],
  ],
  settings: [
    ['circle', { cx: '12', cy: '12', r: '3' }],
    ['path', { d: 'M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1' }],
  ],
} satisfies Record<string, Shape[]>;

export type IconName = keyof typeof ICONS;

export function icon(name: IconName, extraClass = ''): SVGSVGElement {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', extraClass ? `icon ${extraClass}` : 'icon');
  for (const [tag, attrs] of ICONS[name] as Shape[]) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    svg.appendChild(el);
  }
  return svg;
}
