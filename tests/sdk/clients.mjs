// Today's clients against a live `tollgate serve` (TOLLGATE_URL, TOLLGATE_KEY; TOLLGATE_CAPPED_KEY has a budget too
// small for any request; TOLLGATE_SAAS_KEY may set end customers' limits, the key feature customer_limits): the official openai and @anthropic-ai/sdk SDKs, the AI SDK with @ai-sdk/openai (its default
// Responses path and .chat()) and @ai-sdk/anthropic, and LangChain's @langchain/openai (chat completions and the
// Responses API) and @langchain/anthropic. Prints one JSON line per request whose usage record run.sh then checks in
// the database: {id, status, streamed, minOutput}; for clients that do not show the response's headers, {model,
// count, streamed}: the number of records of a model only that client uses.
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { generateText, streamText, tool, jsonSchema, stepCountIs } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { createAnthropic } from "@ai-sdk/anthropic";
import { ChatOpenAI } from "@langchain/openai";
import { ChatAnthropic } from "@langchain/anthropic";
import assert from "node:assert/strict";

const base = process.env.TOLLGATE_URL;
const key = process.env.TOLLGATE_KEY;
const cappedKey = process.env.TOLLGATE_CAPPED_KEY;
const saasKey = process.env.TOLLGATE_SAAS_KEY;
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });
const expect = (id, status, streamed, minOutput = 1) =>
  console.log(JSON.stringify({ id, status, streamed, minOutput }));
const expectModel = (model, count, streamed) => console.log(JSON.stringify({ model, count, streamed }));
// A response header from an SDK error (a Headers object in today's SDKs).
const header = (err, name) => (err.headers?.get ? err.headers.get(name) : err.headers?.[name]) ?? undefined;
// fetch that counts its calls: a budget refusal must be asked once, not retried.
const counting = () => {
  const f = (url, init) => {
    f.calls += 1;
    return fetch(url, init);
  };
  f.calls = 0;
  return f;
};
const weather = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
  additionalProperties: false,
};

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
    apiKey: saasKey,
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
    assert.equal(header(err, "x-should-retry"), "false");
    assert.equal(header(err, "retry-after"), undefined);
    assert.equal(attempts, 1, "the SDK did not retry a budget refusal");
    expect(header(err, "x-request-id"), "denied", 0, 0);
  }
}

// A key without customer_limits may name a customer but not set its budget: 403, asked once.
{
  let attempts = 0;
  const plain = new OpenAI({
    baseURL: `${base}/v1`,
    apiKey: key,
    fetch: (url, init) => {
      attempts += 1;
      return fetch(url, init);
    },
  });
  try {
    await plain.chat.completions.create({
      model: "mock-small",
      messages: [{ role: "user", content: "raise my budget" }],
      customer_params: { customer_identifier: "sdk-test-customer", period_budget: 1000 },
    });
    assert.fail("the request should have been refused");
  } catch (err) {
    assert.ok(err instanceof OpenAI.PermissionDeniedError, `PermissionDeniedError, got ${err?.constructor?.name}: ${err}`);
    assert.equal(err.code, "customer_limits_not_permitted");
    assert.equal(err.param, "customer_params.period_budget");
    assert.equal(attempts, 1, "the SDK did not retry a permission refusal");
    expect(header(err, "x-request-id"), "denied", 0, 0);
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
// 10. The Responses API, plain, with a model id of today's catalog (through the openai provider, over HTTP)
{
  const { data, response } = await openai.responses
    .create({ model: "gpt-6.1-sol", input: "Hello Responses", reasoning: { effort: "low" } })
    .withResponse();
  assert.match(data.output_text, /Tollgate mock provider \(gpt-6.1-sol\)/);
  assert.ok(data.usage.output_tokens_details.reasoning_tokens > 0);
  expect(response.headers.get("x-request-id"), "ok", 0);
}

// 11. The Responses API, streamed: every event, the last one with the usage
{
  const { data: stream, response } = await openai.responses
    .create({ model: "mock-small", input: "Stream the response", stream: true })
    .withResponse();
  let text = "";
  let completed = null;
  for await (const event of stream) {
    if (event.type === "response.output_text.delta") text += event.delta;
    if (event.type === "response.completed") completed = event.response;
  }
  assert.match(text, /Tollgate mock provider/);
  assert.ok(completed && completed.usage.output_tokens > 0);
  expect(response.headers.get("x-request-id"), "ok", 1);
}

// 12. The Responses API with a function tool: the call, then its output, then the answer; a continued response
{
  const tools = [{ type: "function", name: "get_weather", parameters: weather, strict: true }];
  const { data: first, response: r1 } = await openai.responses
    .create({ model: "mock-small", input: "[mock:tool] weather in Paris?", tools })
    .withResponse();
  const call = first.output.find((o) => o.type === "function_call");
  assert.equal(call?.name, "get_weather");
  assert.equal(JSON.parse(call.arguments).city, "mock");
  expect(r1.headers.get("x-request-id"), "ok", 0);
  const { data: second, response: r2 } = await openai.responses
    .create({
      model: "mock-small",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny" }],
      tools,
    })
    .withResponse();
  assert.match(second.output_text, /Tollgate mock provider/);
  expect(r2.headers.get("x-request-id"), "ok", 0);
}

// 13. Chat completions with a tool, and a model id the catalog serves by a dated snapshot
{
  const { data, response } = await openai.chat.completions
    .create({
      model: "gpt-6-sol-2026-11-01",
      messages: [{ role: "user", content: "[mock:tool] weather?" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: weather } }],
    })
    .withResponse();
  assert.equal(data.choices[0].finish_reason, "tool_calls");
  assert.equal(data.choices[0].message.tool_calls[0].function.name, "get_weather");
  expect(response.headers.get("x-request-id"), "ok", 0);
  const model = await openai.models.retrieve("gpt-6-sol-2026-11-01");
  assert.equal(model.id, "gpt-6-sol-2026-11-01");
}

// 14. A budget refusal on the Responses API: RateLimitError, asked once
{
  const f = counting();
  const capped = new OpenAI({ baseURL: `${base}/v1`, apiKey: cappedKey, fetch: f });
  try {
    await capped.responses.create({ model: "mock-small", input: "over budget" });
    assert.fail("the request should have been refused");
  } catch (err) {
    assert.ok(err instanceof OpenAI.RateLimitError, `RateLimitError, got ${err?.constructor?.name}: ${err}`);
    assert.equal(err.error?.tollgate?.binding?.scope, "key");
    assert.equal(f.calls, 1, "the SDK did not retry a budget refusal");
    expect(header(err, "x-request-id"), "denied", 0, 0);
  }
}

// 15. Anthropic: a tool call and its result, count_tokens, and a budget refusal asked once
{
  const tools = [{ name: "get_weather", description: "the weather", input_schema: weather }];
  const { data, response } = await anthropic.messages
    .create({ model: "claude-haiku-4-5", max_tokens: 200, tools, messages: [{ role: "user", content: "[mock:tool] weather?" }] })
    .withResponse();
  const use = data.content.find((b) => b.type === "tool_use");
  assert.equal(use?.name, "get_weather");
  assert.equal(data.stop_reason, "tool_use");
  expect(response.headers.get("x-request-id"), "ok", 0);
  const { data: answer, response: r2 } = await anthropic.messages
    .create({
      model: "claude-haiku-4-5",
      max_tokens: 200,
      tools,
      messages: [
        { role: "user", content: "[mock:tool] weather?" },
        { role: "assistant", content: data.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "sunny" }] },
      ],
    })
    .withResponse();
  assert.equal(answer.stop_reason, "end_turn");
  expect(r2.headers.get("x-request-id"), "ok", 0);

  const { data: count, response: r3 } = await anthropic.messages
    .countTokens({ model: "claude-opus-5", messages: [{ role: "user", content: "How many tokens is this?" }] })
    .withResponse();
  assert.ok(count.input_tokens > 0);
  console.log(JSON.stringify({ id: r3.headers.get("x-request-id"), status: "ok", streamed: 0, minOutput: 0, free: true }));

  const f = counting();
  const capped = new Anthropic({ baseURL: base, apiKey: cappedKey, fetch: f });
  try {
    await capped.messages.create({ model: "mock-small", max_tokens: 50, messages: [{ role: "user", content: "x" }] });
    assert.fail("the request should have been refused");
  } catch (err) {
    assert.ok(err instanceof Anthropic.RateLimitError, `RateLimitError, got ${err?.constructor?.name}: ${err}`);
    assert.equal(f.calls, 1, "the SDK did not retry a budget refusal");
    expect(header(err, "x-request-id"), "denied", 0, 0);
  }
}

// 16. The AI SDK: openai(model) is the Responses API, openai.chat(model) chat completions; streamed; a tool loop;
// Anthropic; a refusal
{
  const oai = createOpenAI({ baseURL: `${base}/v1`, apiKey: key });
  const plain = await generateText({ model: oai("gpt-5-mini"), prompt: "Hello AI SDK", maxRetries: 0 });
  assert.match(plain.text, /Tollgate mock provider \(gpt-5-mini\)/);
  assert.ok(plain.usage.outputTokens > 0);
  expect(plain.response.headers["x-request-id"], "ok", 0);

  const chat = await generateText({ model: oai.chat("mock-small"), prompt: "Hello chat", maxRetries: 0 });
  assert.match(chat.text, /Tollgate mock provider/);
  expect(chat.response.headers["x-request-id"], "ok", 0);

  const streamed = streamText({ model: oai("mock-small"), prompt: "Stream AI SDK", maxRetries: 0 });
  let text = "";
  for await (const t of streamed.textStream) text += t;
  assert.match(text, /Tollgate mock provider/);
  assert.ok((await streamed.usage).outputTokens > 0);
  expect((await streamed.response).headers["x-request-id"], "ok", 1);

  const looped = await generateText({
    model: oai("mock-small"),
    prompt: "[mock:tool] weather in Paris?",
    tools: { get_weather: tool({ description: "the weather", inputSchema: jsonSchema(weather), execute: async () => "sunny" }) },
    stopWhen: stepCountIs(3),
    maxRetries: 0,
  });
  assert.equal(looped.steps.length, 2, "a tool call, then the answer");
  assert.equal(looped.steps[0].toolCalls[0].toolName, "get_weather");
  for (const step of looped.steps) expect(step.response.headers["x-request-id"], "ok", 0);

  const claude = createAnthropic({ baseURL: `${base}/v1`, apiKey: key });
  const c = await generateText({ model: claude("claude-sonnet-5"), prompt: "Hello from the AI SDK", maxRetries: 0 });
  assert.match(c.text, /Tollgate mock provider \(claude-sonnet-5\)/);
  expect(c.response.headers["x-request-id"], "ok", 0);

  const cs = streamText({ model: claude("claude-sonnet-5"), prompt: "Stream Anthropic", maxRetries: 0 });
  let ct = "";
  for await (const t of cs.textStream) ct += t;
  assert.match(ct, /Tollgate mock provider/);
  expect((await cs.response).headers["x-request-id"], "ok", 1);

  const cappedOai = createOpenAI({ baseURL: `${base}/v1`, apiKey: cappedKey });
  await assert.rejects(
    generateText({ model: cappedOai("mock-small"), prompt: "over budget", maxRetries: 2 }),
    (err) => err.statusCode === 429 || err.lastError?.statusCode === 429,
  );
}

// 17. LangChain: ChatOpenAI on chat completions and on the Responses API (streamed), ChatAnthropic, a refusal. It
// shows no response headers: each uses a model of its own, and run.sh counts that model's records.
{
  const lc = new ChatOpenAI({ model: "gpt-6.1-terra", apiKey: key, configuration: { baseURL: `${base}/v1` }, maxRetries: 0 });
  const a = await lc.invoke("Hello LangChain");
  assert.match(a.content, /Tollgate mock provider \(gpt-6.1-terra\)/);
  expectModel("gpt-6.1-terra", 1, 0);

  const lcr = new ChatOpenAI({
    model: "gpt-6-luna",
    apiKey: key,
    configuration: { baseURL: `${base}/v1` },
    useResponsesApi: true,
    streaming: true,
    maxRetries: 0,
  });
  let streamedText = "";
  for await (const chunk of await lcr.stream("Stream LangChain")) {
    streamedText += typeof chunk.content === "string" ? chunk.content : chunk.content.map((p) => p.text ?? "").join("");
  }
  assert.match(streamedText, /Tollgate mock provider/);
  expectModel("gpt-6-luna", 1, 1);

  const lca = new ChatAnthropic({ model: "claude-sonnet-5-5", apiKey: key, anthropicApiUrl: base, maxRetries: 0 });
  const b = await lca.invoke("Hello LangChain Anthropic");
  assert.match(typeof b.content === "string" ? b.content : b.content.map((p) => p.text ?? "").join(""), /Tollgate mock provider/);
  expectModel("claude-sonnet-5-5", 1, 0);

  const capped = new ChatOpenAI({ model: "mock-large", apiKey: cappedKey, configuration: { baseURL: `${base}/v1` }, maxRetries: 0 });
  await assert.rejects(capped.invoke("over budget"), (err) => err.status === 429 || /429|limit/.test(String(err)));
}
console.error("sdk clients: all checks passed");
