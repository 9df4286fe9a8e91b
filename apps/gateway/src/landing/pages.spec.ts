import { textOn } from './pages';

describe('brand colour', () => {
  it('puts the more readable of black and white on it', () => {
    expect(textOn('#b31b1b')).toBe('#ffffff');
    expect(textOn('#ffd400')).toBe('#000000');
    expect(textOn('#000000')).toBe('#ffffff');
    expect(textOn('#ffffff')).toBe('#000000');
  });
});
