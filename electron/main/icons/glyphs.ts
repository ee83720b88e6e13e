/** A 5x7 pixel font for the badge digits and '+'. */
const font: Record<string, readonly string[]> = {
  '0': ['01110', '10001', '10011', '10101', '11001', '10001', '01110'],
  '1': ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  '3': ['11110', '00001', '00001', '01110', '00001', '00001', '11110'],
  '4': ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
  '5': ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  '6': ['00110', '01000', '10000', '11110', '10001', '10001', '01110'],
  '7': ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
  '8': ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
  '9': ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
  '+': ['00000', '00100', '00100', '11111', '00100', '00100', '00000'],
};

export const glyphWidth = 5;
export const glyphHeight = 7;

/** Inside-test for `text` drawn with its top-left at (x, y), `cell` pixels per font pixel, 1 cell between glyphs. */
export function textShape(text: string, x: number, y: number, cell: number) {
  return (px: number, py: number) => {
    const col = Math.floor((px - x) / cell);
    const row = Math.floor((py - y) / cell);
    if (row < 0 || row >= glyphHeight || col < 0) return false;
    const index = Math.floor(col / (glyphWidth + 1));
    const inGlyph = col % (glyphWidth + 1);
    const ch = text[index];
    if (ch === undefined || inGlyph >= glyphWidth) return false;
    return font[ch]?.[row]?.[inGlyph] === '1';
  };
}

export function textWidthCells(text: string): number {
  return text.length * (glyphWidth + 1) - 1;
}
