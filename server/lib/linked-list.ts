/** An item of a LinkedList: the list keeps its links in the item itself. */
export interface Linked<T> {
  previous: T | undefined;
  next: T | undefined;
}

/**
 * A doubly linked list through its items, oldest first: adding and removing allocate nothing,
 * and a removed item keeps no link. Not a `Map` or `Set`: those rebuild their tables as entries
 * come and go, and keep old tables pointing at new ones, so that objects passing through one per
 * request outlive minor collections (bench/RESULTS.md, "Issue 13, eleventh stop"). An item is
 * in one list at a time.
 */
export class LinkedList<T extends Linked<T>> {
  first: T | undefined = undefined;
  private last: T | undefined = undefined;

  /** Adds `item` at the end (it must be in no list). */
  append(item: T): void {
    item.previous = this.last;
    item.next = undefined;
    if (this.last === undefined) this.first = item;
    else this.last.next = item;
    this.last = item;
  }

  /** Takes `item` out; nothing if it is not in this list. */
  remove(item: T): void {
    if (item.previous !== undefined) item.previous.next = item.next;
    else if (this.first === item) this.first = item.next;
    else return;
    if (item.next !== undefined) item.next.previous = item.previous;
    else this.last = item.previous;
    item.previous = item.next = undefined;
  }

  /** Empties the list, returning what it held, oldest first. */
  takeAll(): T[] {
    const items: T[] = [];
    for (let item = this.first; item !== undefined; item = item.next) items.push(item);
    for (const item of items) item.previous = item.next = undefined;
    this.first = this.last = undefined;
    return items;
  }
}
