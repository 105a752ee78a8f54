/** A field's error under it; its `id` is what the input's `aria-describedby` names. */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} className="field-error error-text">
      {message}
    </p>
  );
}
