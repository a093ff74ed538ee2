import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csv, render, table } from './output.ts';

describe('output formats', () => {
  const rows = [
    { id: 'a1', title: 'Short', count: 3, tags: ['x', 'y'] },
    { id: 'b22', title: 'A "quoted", multi-line\ntitle', count: 12, tags: [], extra: { k: 1 } },
  ];
  const columns = [{ key: 'id' }, { key: 'count', numeric: true }, { key: 'title' }];

  it('aligns a table, right-aligns numbers and keeps each row on one line', () => {
    assert.equal(table(rows, columns), ['id   count  title', 'a1       3  Short', 'b22     12  A "quoted", multi-line ⏎ title', ''].join('\n'));
  });

  it('cuts the widest cells to fit a terminal, marking the cut', () => {
    const fitted = table(rows, columns, { width: 30 });
    assert.ok(fitted.split('\n').every((line) => [...line].length <= 30), fitted);
    assert.match(fitted, /^b22 +12  A "quoted", multi…$/m);
  });

  it('writes CSV with every field seen, quoting as RFC 4180 says, nested values as JSON', () => {
    assert.equal(
      csv(rows),
      'id,title,count,tags,extra\r\na1,Short,3,"[""x"",""y""]",\r\nb22,"A ""quoted"", multi-line\ntitle",12,[],"{""k"":1}"\r\n',
    );
  });

  it('prints JSON as the rows, or the whole answer a command gives', () => {
    assert.deepEqual(JSON.parse(render({ rows, columns }, 'json')), rows);
    assert.deepEqual(JSON.parse(render({ rows, columns, json: { report: true } }, 'json')), { report: true });
  });
});
