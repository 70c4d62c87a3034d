import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Page } from "@playwright/test";
import { RouteNotesService } from "../../gen/routeguide/route_notes_pb.js";
import { CLUSTER_TOKEN, type ReplicaCluster, startReplicaCluster } from "../../server/test-support/replica-cluster.js";
import { bearer } from "../../server/test-support/test-server.js";
import { expect, type NewPage, postNote, test } from "./fixtures.js";

/** Where the chat panel opens (Patriots Path, Mendham, NJ). */
const PLACE = { latitude: 407838351, longitude: -746143763 };
const notes = (page: Page) => page.getByRole("log", { name: "Notes" }).locator("[data-note-id]");
const link = (page: Page) => page.getByTestId("link-state");

// Two server processes on one PostgreSQL database and one Redis prefix of their own: starting
// them is part of each test's time, so these get more than the default minute.
test.describe.configure({ timeout: 120_000 });
let cluster: ReplicaCluster;
test.beforeEach(async () => {
  cluster = await startReplicaCluster(2);
});
test.afterEach(async () => {
  await cluster?.close();
});

async function openOn(newPage: NewPage, replica: number): Promise<Page> {
  const page = await newPage();
  await page.goto(cluster.replicas[replica]!.url);
  await expect(link(page)).toHaveAttribute("data-state", "live");
  return page;
}

test("a page on replica A and a page on replica B exchange RouteChat notes live", async ({ newPage }) => {
  const alice = await openOn(newPage, 0);
  const bob = await openOn(newPage, 1);
  await postNote(alice, "hello from replica A");
  await expect(notes(bob)).toHaveCount(1);
  await expect(notes(bob).first()).toContainText("hello from replica A");
  await postNote(bob, "hi back from replica B");
  await expect(notes(alice)).toHaveCount(2);
  await expect(notes(alice).nth(1)).toContainText("hi back from replica B");
  await expect(notes(bob)).toHaveCount(2);
});

test("when Redis goes away the pages reconnect by themselves and miss nothing posted meanwhile", async ({ newPage }) => {
  const alice = await openOn(newPage, 0);
  const bob = await openOn(newPage, 1);
  await postNote(alice, "before the outage");
  await expect(notes(bob)).toHaveCount(1);

  await cluster.redis.cut();
  await expect(link(bob)).toHaveAttribute("data-state", "reconnecting");
  // Stored while live delivery is down (acknowledged), from a native client on replica A.
  const native = createClient(RouteNotesService, createGrpcTransport({ baseUrl: cluster.replicas[0]!.url, interceptors: [bearer(CLUSTER_TOKEN)] }));
  await native.postNote({ location: PLACE, message: "during the outage" });
  await cluster.redis.restore();

  for (const page of [alice, bob]) {
    await expect(link(page)).toHaveAttribute("data-state", "live", { timeout: 30_000 });
    await expect(notes(page)).toHaveCount(2);
  }
  await postNote(bob, "after the outage");
  for (const page of [alice, bob]) {
    await expect(notes(page)).toHaveCount(3);
    const texts = await notes(page).allTextContents();
    expect(texts.map((text) => /before|during|after/.exec(text)?.[0])).toEqual(["before", "during", "after"]);
  }
});
