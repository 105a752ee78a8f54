/** A blocked person's message, collapsed: nothing of it (not even the name) until opened. */
export function BlockedMessage({ onShow }: { onShow: () => void }) {
  return (
    <p className="blocked-message">
      <span>Message from a blocked user</span>{' '}
      <button type="button" className="link-button" onClick={onShow}>
        Show
      </button>
    </p>
  );
}
