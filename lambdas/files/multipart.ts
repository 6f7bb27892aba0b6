/**
 * The deprecated `put` upload: a form whose field `body` is the file. Parsed
 * by the runtime's own fetch implementation (undici's `Response.formData()`,
 * built into Node ≥ 18, here and on Lambda): a maintained multipart parser,
 * no dependency to add. The whole body is in memory already (it is size-limited).
 */

/**
 * The bytes of form field `name` (a file part as sent, a text part as UTF-8),
 * or undefined when the body is not a form or has no such field.
 * `application/x-www-form-urlencoded` is accepted too, as form libraries send it.
 */
export async function formField(contentType: string | undefined, body: Uint8Array, name: string): Promise<Uint8Array | undefined> {
  if (!contentType || !/^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(contentType.trim())) return undefined;
  let form: FormData;
  try {
    form = await new Response(body as Uint8Array<ArrayBuffer>, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return undefined; // malformed: no boundary, truncated, …
  }
  const value = form.get(name);
  if (value === null) return undefined;
  if (typeof value === 'string') return new TextEncoder().encode(value);
  return new Uint8Array(await value.arrayBuffer());
}
