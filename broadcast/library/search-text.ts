/**
 * What search compares: an item's title, category and tags folded into one text, and a query folded the same way.
 * NFKC turns full-width letters, digits and spaces (ＰＤＦ，２０２４) into their plain forms; lower case makes Latin
 * letters match either way. Chinese is left as it is (simplified and traditional are not folded).
 */
export function foldForSearch(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function searchTextOf(item: { readonly title: string; readonly category: string; readonly tags: readonly string[] }): string {
  return foldForSearch([item.title, item.category, ...item.tags].join(' '));
}
