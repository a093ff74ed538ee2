/**
 * Output formats an analyst may ask for, by exact name. Formats that read a
 * schema or template file (Protobuf, CapnProto, Template, CustomSeparated with
 * templates) or write outside the response are not here.
 */
export const analystOutputFormats: ReadonlySet<string> = new Set([
  'TabSeparated', 'TabSeparatedRaw', 'TabSeparatedWithNames', 'TabSeparatedWithNamesAndTypes', 'TabSeparatedRawWithNames', 'TabSeparatedRawWithNamesAndTypes',
  'TSV', 'TSVRaw', 'Raw', 'TSVWithNames', 'TSVWithNamesAndTypes', 'TSVRawWithNames', 'TSVRawWithNamesAndTypes',
  'CSV', 'CSVWithNames', 'CSVWithNamesAndTypes',
  'JSON', 'JSONStrings', 'JSONColumns', 'JSONColumnsWithMetadata', 'JSONCompact', 'JSONCompactStrings', 'JSONCompactColumns',
  'JSONEachRow', 'JSONEachRowWithProgress', 'JSONStringsEachRow', 'JSONStringsEachRowWithProgress', 'JSONCompactEachRow',
  'JSONCompactEachRowWithNames', 'JSONCompactEachRowWithNamesAndTypes', 'JSONCompactStringsEachRow',
  'JSONCompactStringsEachRowWithNames', 'JSONCompactStringsEachRowWithNamesAndTypes', 'JSONObjectEachRow', 'JSONLines', 'NDJSON',
  'Values', 'Vertical', 'Pretty', 'PrettyCompact', 'PrettyCompactMonoBlock', 'PrettyNoEscapes', 'PrettyMonoBlock', 'PrettySpace',
  'PrettyCompactNoEscapes', 'PrettySpaceNoEscapes', 'Markdown', 'XML', 'LineAsString', 'Null',
  'RowBinary', 'RowBinaryWithNames', 'RowBinaryWithNamesAndTypes', 'Native', 'Parquet', 'Arrow', 'ArrowStream', 'ORC', 'Avro', 'BSONEachRow', 'MsgPack',
]);
