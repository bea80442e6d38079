//! Markdown to DOM, node by node: every piece of untrusted text becomes a text node, links get
//! only vetted URLs with `rel="noopener noreferrer"`. No `inner_html` anywhere.

use kb_core::markdown::{parse, Block, Inline};
use leptos::prelude::*;

fn inline(node: Inline) -> AnyView {
    match node {
        Inline::Text(t) => t.into_any(),
        Inline::Strong(v) => view! { <strong>{inlines(v)}</strong> }.into_any(),
        Inline::Emphasis(v) => view! { <em>{inlines(v)}</em> }.into_any(),
        Inline::Code(t) => view! { <code>{t}</code> }.into_any(),
        Inline::Link { label, url } => {
            view! { <a href=url target="_blank" rel="noopener noreferrer">{inlines(label)}</a> }.into_any()
        }
        Inline::Break => view! { <br/> }.into_any(),
    }
}

fn inlines(nodes: Vec<Inline>) -> Vec<AnyView> {
    nodes.into_iter().map(inline).collect()
}

/// Renders Markdown as a fragment of paragraphs, lists and strong headings.
pub fn markdown(source: &str) -> impl IntoView {
    parse(source)
        .into_iter()
        .map(|block| match block {
            Block::Paragraph(v) => view! { <p>{inlines(v)}</p> }.into_any(),
            Block::Heading(v) => view! { <p><strong>{inlines(v)}</strong></p> }.into_any(),
            Block::List { ordered: true, items } => {
                view! { <ol>{items.into_iter().map(|i| view! { <li>{inlines(i)}</li> }).collect_view()}</ol> }
                    .into_any()
            }
            Block::List { ordered: false, items } => {
                view! { <ul>{items.into_iter().map(|i| view! { <li>{inlines(i)}</li> }).collect_view()}</ul> }
                    .into_any()
            }
        })
        .collect_view()
}
