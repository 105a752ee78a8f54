import { useCallback, useEffect, useRef, type MouseEvent, type TouchEvent } from 'react';

/** How long a touch must rest (ms): the common platform value (Android's is 400–500 ms). */
export const LONG_PRESS_MS = 500;
/** A finger that moves further than this (px) is scrolling, not pressing. */
const MOVE_TOLERANCE_PX = 10;
/** A click this soon after a press fired is the press's own tap (ms). */
const CLICK_AFTER_PRESS_MS = 800;

export interface LongPressHandlers {
  onTouchStart: (event: TouchEvent) => void;
  onTouchMove: (event: TouchEvent) => void;
  onTouchEnd: (event: TouchEvent) => void;
  onTouchCancel: () => void;
  /** The click a long press ends with, and the browser's own context menu, are swallowed. */
  onClickCapture: (event: MouseEvent) => void;
  onContextMenu: (event: MouseEvent) => void;
}

/**
 * A touch held still for {@link LONG_PRESS_MS} calls `onLongPress` (a phone's way to reach a
 * message's actions). Moving, lifting early or a second finger cancels it. `enabled: false`
 * ignores touches (e.g. while the sheet it opened is up).
 */
export function useLongPress(onLongPress: () => void, { enabled = true }: { enabled?: boolean } = {}): LongPressHandlers {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const start = useRef<{ x: number; y: number } | null>(null);
  const fired = useRef(false);
  const firedAt = useRef(0);
  const callback = useRef(onLongPress);
  callback.current = onLongPress;

  const cancel = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = undefined;
    start.current = null;
  }, []);
  useEffect(() => cancel, [cancel]);

  return {
    onTouchStart: (event) => {
      cancel();
      fired.current = false;
      const touch = event.touches[0];
      if (!enabled || event.touches.length !== 1 || !touch) return;
      start.current = { x: touch.clientX, y: touch.clientY };
      timer.current = setTimeout(() => {
        timer.current = undefined;
        start.current = null;
        fired.current = true;
        firedAt.current = Date.now();
        callback.current();
      }, LONG_PRESS_MS);
    },
    onTouchMove: (event) => {
      const touch = event.touches[0];
      if (!start.current || !touch) return;
      if (Math.hypot(touch.clientX - start.current.x, touch.clientY - start.current.y) > MOVE_TOLERANCE_PX) cancel();
    },
    onTouchEnd: (event) => {
      cancel();
      // The press opened something: the tap the browser makes of it must not act as well.
      if (fired.current && event.cancelable) event.preventDefault();
    },
    onTouchCancel: cancel,
    onClickCapture: (event) => {
      if (!fired.current) return;
      fired.current = false;
      // Only the tap that ended the press, on the element itself: what the press opened (a
      // sheet in a portal, under this element in React's tree only) keeps its clicks.
      if (Date.now() - firedAt.current > CLICK_AFTER_PRESS_MS || !(event.target instanceof Node) || !event.currentTarget.contains(event.target)) return;
      event.preventDefault();
      event.stopPropagation();
    },
    onContextMenu: (event) => {
      if (fired.current || timer.current !== undefined) event.preventDefault();
    },
  };
}
