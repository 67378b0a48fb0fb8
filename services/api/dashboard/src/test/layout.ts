// jsdom lays nothing out: every element measures 0 x 0, so a virtualised list would show
// no rows at all. Give elements the size of a laptop's viewport for component tests.
const WIDTH = 1200;
const HEIGHT = 600;

for (const [name, value] of [
  ["offsetWidth", WIDTH],
  ["offsetHeight", HEIGHT],
  ["clientWidth", WIDTH],
  ["clientHeight", HEIGHT],
] as const) {
  Object.defineProperty(HTMLElement.prototype, name, { configurable: true, get: () => value });
}
HTMLElement.prototype.getBoundingClientRect = () =>
  ({ x: 0, y: 0, top: 0, left: 0, right: WIDTH, bottom: HEIGHT, width: WIDTH, height: HEIGHT, toJSON() {} }) as DOMRect;
