import { useMemo, type ReactNode } from 'react';
import { parseMarkdown, type MdBlock, type MdInline } from '@parley/client';
import { MentionChip } from '../mentions/mention-chip.tsx';

const SAFE_HREF = /^(https?:\/\/|mailto:)/i;

export interface MessageBodyProps {
  body: string;
  className?: string | undefined;
  /** Shown at the end of the last paragraph (the status icon), or after the last block. */
  trailing?: ReactNode;
}

/**
 * A message's formatting (`parseMarkdown`: the safe subset) as React elements. Only text nodes
 * and a fixed set of elements come out: nothing in a body is ever HTML, and a link's address is
 * always http(s) or mailto. Each block has `dir="auto"`, so a right-to-left line reads as one.
 */
export function MessageBody({ body, className, trailing = null }: MessageBodyProps) {
  const blocks = useMemo(() => parseMarkdown(body), [body]);
  const lastIsParagraph = blocks.at(-1)?.type === 'paragraph';
  return (
    <div className={className}>
      {blocks.map((block, i) => (
        <Block key={i} block={block} trailing={lastIsParagraph && i === blocks.length - 1 ? trailing : null} />
      ))}
      {!lastIsParagraph && trailing}
    </div>
  );
}

function Block({ block, trailing = null }: { block: MdBlock; trailing?: ReactNode }) {
  switch (block.type) {
    case 'paragraph':
      return (
        <p dir="auto" className="md-paragraph">
          <Inlines nodes={block.children} />
          {trailing}
        </p>
      );
    case 'code':
      return (
        <pre dir="auto" className="md-code-block" data-lang={block.lang ?? undefined}>
          <code>{block.text}</code>
        </pre>
      );
    case 'quote':
      return (
        <blockquote dir="auto" className="md-quote">
          {block.children.map((child, i) => (
            <Block key={i} block={child} />
          ))}
        </blockquote>
      );
    case 'list': {
      const items = block.items.map((item, i) => (
        <li key={i} dir="auto">
          <Inlines nodes={item} />
        </li>
      ));
      return block.ordered ? (
        <ol dir="auto" className="md-list" start={block.start === 1 ? undefined : block.start}>
          {items}
        </ol>
      ) : (
        <ul dir="auto" className="md-list">
          {items}
        </ul>
      );
    }
  }
}

function Inlines({ nodes }: { nodes: readonly MdInline[] }) {
  return nodes.map((node, i) => <Inline key={i} node={node} />);
}

function Inline({ node }: { node: MdInline }): ReactNode {
  switch (node.type) {
    case 'text':
      return node.text;
    case 'strong':
      return (
        <strong>
          <Inlines nodes={node.children} />
        </strong>
      );
    case 'em':
      return (
        <em>
          <Inlines nodes={node.children} />
        </em>
      );
    case 'strike':
      return (
        <del>
          <Inlines nodes={node.children} />
        </del>
      );
    case 'code':
      return <code className="md-code">{node.text}</code>;
    case 'mention':
      return <MentionChip target={node.target} />;
    case 'link':
      // The parser only makes these; checked again where it becomes an attribute.
      if (!SAFE_HREF.test(node.href)) return node.text;
      return (
        <a href={node.href} target="_blank" rel="noopener noreferrer">
          {node.text}
        </a>
      );
  }
}
