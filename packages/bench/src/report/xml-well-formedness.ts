/**
 * A small XML well-formedness check for the report's tests: tags nest and close, attributes are
 * quoted and unique, `<` and `&` appear in text only as markup or entities. No DTDs (SVG from Vega
 * and the report's own notes have none). Returns the problems found, empty when well formed.
 */
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*$/;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;

export function xmlWellFormednessProblems(xml: string): string[] {
  const problems: string[] = [];
  const open: string[] = [];
  let position = 0;
  let rootElements = 0;
  const text = (chunk: string, at: number) => {
    for (let index = chunk.indexOf('&'); index >= 0; index = chunk.indexOf('&', index + 1)) {
      if (!ENTITY.test(chunk.slice(index))) problems.push(`bare & at ${at + index}`);
    }
    if (open.length === 0 && chunk.trim() !== '') problems.push(`text outside the root element at ${at}`);
  };
  while (position < xml.length) {
    const next = xml.indexOf('<', position);
    if (next < 0) {
      text(xml.slice(position), position);
      break;
    }
    text(xml.slice(position, next), position);
    if (xml.startsWith('<?', next)) {
      const end = xml.indexOf('?>', next);
      if (end < 0) return [...problems, `unterminated processing instruction at ${next}`];
      if (next !== 0 && xml.slice(0, next).trim() !== '') problems.push(`processing instruction after content at ${next}`);
      position = end + 2;
    } else if (xml.startsWith('<!--', next)) {
      const end = xml.indexOf('-->', next + 4);
      if (end < 0) return [...problems, `unterminated comment at ${next}`];
      position = end + 3;
    } else if (xml.startsWith('<![CDATA[', next)) {
      const end = xml.indexOf(']]>', next);
      if (end < 0) return [...problems, `unterminated CDATA at ${next}`];
      position = end + 3;
    } else if (xml.startsWith('</', next)) {
      const end = xml.indexOf('>', next);
      if (end < 0) return [...problems, `unterminated end tag at ${next}`];
      const name = xml.slice(next + 2, end).trim();
      const expected = open.pop();
      if (expected !== name) problems.push(`</${name}> at ${next} closes <${expected ?? 'nothing'}>`);
      position = end + 1;
    } else {
      const tag = readStartTag(xml, next);
      if (typeof tag === 'string') return [...problems, tag];
      problems.push(...tag.problems);
      if (open.length === 0) rootElements += 1;
      if (!tag.selfClosing) open.push(tag.name);
      position = tag.end;
    }
  }
  if (open.length > 0) problems.push(`unclosed <${open.join('>, <')}>`);
  if (rootElements !== 1) problems.push(`${rootElements} root elements`);
  return problems;
}

function readStartTag(xml: string, start: number): { name: string; selfClosing: boolean; end: number; problems: string[] } | string {
  const problems: string[] = [];
  let index = start + 1;
  const nameMatch = /^[^\s/>]+/.exec(xml.slice(index));
  if (nameMatch === null || !NAME.test(nameMatch[0])) return `bad tag name at ${start}`;
  const name = nameMatch[0];
  index += name.length;
  const seen = new Set<string>();
  for (;;) {
    const whitespace = /^\s*/.exec(xml.slice(index))?.[0].length ?? 0;
    index += whitespace;
    if (xml.startsWith('/>', index)) return { name, selfClosing: true, end: index + 2, problems };
    if (xml.startsWith('>', index)) return { name, selfClosing: false, end: index + 1, problems };
    if (index >= xml.length) return `unterminated tag <${name}> at ${start}`;
    if (whitespace === 0) return `attributes of <${name}> at ${start} not separated by whitespace`;
    const attribute = /^([^\s=/>]+)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(xml.slice(index));
    if (attribute === null) return `malformed attribute in <${name}> at ${index}`;
    const attributeName = attribute[1] as string;
    if (!NAME.test(attributeName)) problems.push(`bad attribute name ${attributeName} at ${index}`);
    if (seen.has(attributeName)) problems.push(`duplicate attribute ${attributeName} in <${name}> at ${start}`);
    seen.add(attributeName);
    const value = attribute[3] ?? attribute[4] ?? '';
    for (let at = value.indexOf('&'); at >= 0; at = value.indexOf('&', at + 1)) {
      if (!ENTITY.test(value.slice(at))) problems.push(`bare & in attribute ${attributeName} at ${index}`);
    }
    index += attribute[0].length;
  }
}
