// The official SDKs against a live `tollgate serve` (TOLLGATE_URL, TOLLGATE_KEY). Prints one JSON line per request
// whose usage record run.sh then checks in the database: {id, status, streamed, minOutput}.
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";

const base = process.env.TOLLGATE_URL;
const key = process.env.TOLLGATE_KEY;
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });
const expect = (id, status, streamed, minOutput = 1) =>
  console.log(JSON.stringify({ id, status, streamed, minOutput }));

// 1. A plain chat completion
{
  const { data, response } = await openai.chat.completions
    .create({ model: "mock-small", messages: [{ role: "user", content: "Say hello" }] })
    .withResponse();
  assert.match(data.choices[0].message.content, /Tollgate mock provider/);
  assert.ok(data.usage.completion_tokens > 0);
  expect(response.headers.get("x-request-id"), "ok", 0);
}

// 2. A streaming chat completion, with usage asked for
{
  const { data: stream, response } = await openai.chat.completions
    .create({
      model: "mock-small",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Stream to me" }],
    })
    .withResponse();
  let text = "";
  let usage = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? "";
    if (chunk.usage) usage = chunk.usage;
  }
  assert.match(text, /Tollgate mock provider/);
  assert.ok(usage && usage.completion_tokens > 0, "the usage chunk the client asked for arrives");
  expect(response.headers.get("x-request-id"), "ok", 1);
}

// 3. A streaming chat completion without usage: the SDK sees no usage chunk, the gateway still meters it
{
  const { data: stream, response } = await openai.chat.completions
    .create({ model: "mock-small", stream: true, messages: [{ role: "user", content: "Again" }] })
    .withResponse();
  for await (const chunk of stream) assert.equal(chunk.usage ?? null, null);
  expect(response.headers.get("x-request-id"), "ok", 1);
}

// 4. Embeddings
{
  const { data, response } = await openai.embeddings
    .create({ model: "mock-embed", input: ["first text", "second text"] })
    .withResponse();
  assert.equal(data.data.length, 2);
  assert.ok(data.usage.prompt_tokens > 0);
  expect(response.headers.get("x-request-id"), "ok", 0, 0);
}

// 5. The models list: only what this key's holder may use
{
  const ids = [];
  for await (const m of openai.models.list()) ids.push(m.id);
  assert.ok(ids.includes("mock-small"), `mock-small is listed: ${ids}`);
}

// 6. A limit denial: the SDK raises its rate-limit error, carrying Tollgate's explanation. A budget does not clear by
// waiting, so the SDK, left to its default retries, asks once (x-should-retry: false).
{
  let attempts = 0;
  const retrying = new OpenAI({
    baseURL: `${base}/v1`,
    apiKey: key,
    fetch: (url, init) => {
      attempts += 1;
      return fetch(url, init);
    },
  });
  try {
    await retrying.chat.completions.create({
      model: "mock-small",
      messages: [{ role: "user", content: "over budget" }],
      customer_params: { customer_identifier: "sdk-test-customer", period_budget: 0.000000001, budget_duration: "monthly" },
    });
    assert.fail("the request should have been refused");
  } catch (err) {
    assert.ok(err instanceof OpenAI.RateLimitError, `RateLimitError, got ${err?.constructor?.name}: ${err}`);
    assert.equal(err.status, 429);
    const explanation = err.error?.tollgate;
    assert.ok(explanation, "the error carries the explanation");
    assert.equal(explanation.decision, "denied");
    assert.equal(explanation.binding.scope, "customer");
    assert.ok(explanation.binding.resets_at && explanation.binding.limit && explanation.binding.source);
    assert.equal(err.headers["x-should-retry"], "false");
    assert.equal(err.headers["retry-after"], undefined);
    assert.equal(attempts, 1, "the SDK did not retry a budget refusal");
    expect(err.headers["x-request-id"], "denied", 0, 0);
  }
}

// 7. Anthropic messages, plain
{
  const { data, response } = await anthropic.messages
    .create({ model: "mock-small", max_tokens: 64, messages: [{ role: "user", content: "Hello Claude-shaped mock" }] })
    .withResponse();
  assert.equal(data.type, "message");
  assert.ok(data.usage.output_tokens > 0);
  // The SDK reads Anthropic's request-id header into _request_id; it names the same usage record.
  assert.equal(data._request_id, response.headers.get("x-request-id"));
  expect(response.headers.get("x-request-id"), "ok", 0);
}

// 8. Anthropic messages, streaming
{
  const stream = anthropic.messages.stream({
    model: "mock-small",
    max_tokens: 64,
    messages: [{ role: "user", content: "Stream like Claude" }],
  });
  let text = "";
  stream.on("text", (t) => (text += t));
  const final = await stream.finalMessage();
  assert.match(text, /Tollgate mock provider/);
  assert.ok(final.usage.output_tokens > 1);
  const { response } = await stream.withResponse();
  expect(response.headers.get("x-request-id"), "ok", 1);
}

// 9. The Anthropic SDK's own error type for a denial, with the explanation
{
  try {
    await anthropic.messages.create({ model: "no-such-model", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    assert.fail("unknown model should be refused");
  } catch (err) {
    assert.ok(err instanceof Anthropic.NotFoundError, `NotFoundError, got ${err?.constructor?.name}: ${err}`);
    assert.match(err.message, /no-such-model/);
  }
}
console.error("sdk clients: all checks passed");
