import { describe, expect, it } from "vitest";
import { type Linked, LinkedList } from "./linked-list.js";

interface Item extends Linked<Item> {
  name: string;
}
const item = (name: string): Item => ({ name, previous: undefined, next: undefined });
const names = (list: LinkedList<Item>) => {
  const seen: string[] = [];
  for (let at = list.first; at !== undefined; at = at.next) seen.push(at.name);
  return seen;
};

describe("the linked list", () => {
  it("keeps its order whichever items leave, first, middle or last, and appends after the last still there", () => {
    const list = new LinkedList<Item>();
    const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map(item) as [Item, Item, Item, Item, Item];
    for (const each of [a, b, c, d, e]) list.append(each);
    list.remove(c);
    list.remove(a);
    list.remove(e);
    expect(names(list)).toEqual(["b", "d"]);
    list.append(e); // after d, the last still there
    expect(names(list)).toEqual(["b", "d", "e"]);
    expect([a, c].map((gone) => [gone.previous, gone.next])).toEqual([[undefined, undefined], [undefined, undefined]]);
  });

  it("leaves an item that is not in it alone, and empties into an array", () => {
    const list = new LinkedList<Item>();
    const [a, b, stranger] = ["a", "b", "stranger"].map(item) as [Item, Item, Item];
    list.append(a);
    list.append(b);
    list.remove(stranger);
    list.remove(a);
    list.remove(a); // again: nothing
    expect(names(list)).toEqual(["b"]);
    list.append(a);
    expect(list.takeAll().map((each) => each.name)).toEqual(["b", "a"]);
    expect([list.first, a.previous, a.next, b.next]).toEqual([undefined, undefined, undefined, undefined]);
    list.append(stranger);
    expect(names(list)).toEqual(["stranger"]);
  });
});
