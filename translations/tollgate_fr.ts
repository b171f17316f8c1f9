<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>tollgate::CatalogPage</name>
    <message>
        <source>OpenAI-compatible</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Anthropic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Built-in mock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models &amp; Providers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provider</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Upstream name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Input $/M</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cached $/M</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output $/M</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max output</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Approved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>yes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Secret</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>set (hidden)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Models&lt;/b&gt;  </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Providers&lt;/b&gt;  </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New provider…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model id:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>as clients send it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provider:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Upstream name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty: the same as the id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tier (1 = cheapest):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Input, $ per million tokens:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cached input, $ per million:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output, $ per million tokens:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Maximum output tokens:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Context window (tokens):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Approved for use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must be 1 to 10</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must not be empty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>entered in the console</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit provider</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New provider</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base URL:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>https://api.openai.com/v1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>API key:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stored; type to replace it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the provider&apos;s API key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key is stored and sent to the provider; it is never shown again, here or in the admin API.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provider saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select one model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete %1? Requests for it are refused from now on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select one provider.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete provider</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete %1?</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::CommandLine</name>
    <message>
        <source>Tollgate: the administration console and gateway for an organisation&apos;s LLM usage.

Commands:
  (none)         open the console (it runs the gateway too)
  serve          run the gateway without a display; SIGTERM drains requests under way and stops
  mock-upstream  run the mock LLM provider on its own (OpenAI and Anthropic APIs), for tests
  info           print a summary of the organisation and exit
  reset-demo     replace the organisation with the demo organisation and exit
  screenshots DIR  render every page of the console to DIR/NN-page.png and exit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show this help and exit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the version and exit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database: a SQLite file (default: %1) or a postgresql:// URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>location</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start on the demo organisation (loaded into an empty database).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway address, HOST:PORT (default 127.0.0.1:8787; mock-upstream 127.0.0.1:9100).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Serve the admin API (/api/admin) on its own address, HOST:PORT. Without it, the admin API answers on the gateway&apos;s address to clients on this machine only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway settings file (JSON).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Serve HTTPS with this PEM certificate (chain).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PEM private key for --tls-cert.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mock-upstream: wait this long before answering.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Console: start in the tray without showing the window (as at login).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>serve, mock-upstream, info, reset-demo or screenshots; none opens the console.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[command]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>is empty; give a SQLite file path or a postgresql:// URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>and --tls-key go together</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must be a whole number of milliseconds, 0 to 600000</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>takes the folder to write the pictures to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>takes one command at most, got: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a command; use serve, mock-upstream, info, reset-demo or screenshots, or none for the console</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::CustomersPage</name>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>daily</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>weekly</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>monthly</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>yearly</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>custom period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must be a date like 2026-12-31</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Customers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identifier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Email</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests/min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Period budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lifetime budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Markup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New customer…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter customers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit customer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New customer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identifier:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>as sent in customer_params.customer_identifier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Email:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests per minute:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty: no rate limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Budget period:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Period budget ($):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty: none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Custom period from:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>2026-01-01</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Custom period until:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>2026-12-31 (exclusive)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lifetime budget ($):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Markup (%):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>for reports; e.g. 12.5</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must be between 0 and 10000 percent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Customer saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select one customer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete customer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the customer %1? Their usage records stay.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Customer %1 deleted.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::Dashboard</name>
    <message>
        <source>Other</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::DashboardPage</name>
    <message>
        <source>Dashboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 14 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 90 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stack by model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stack by user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stack by group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend per day (click a bar for its requests)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Top users by cost</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Daily active users</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly limit use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The dashboard could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; spent · &lt;b&gt;%2&lt;/b&gt; requests · &lt;b&gt;%3&lt;/b&gt; refused · %4 tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 on %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cost</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nobody is above half of a monthly limit.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::EditDialog</name>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::GatewayPage</name>
    <message>
        <source>Gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Listen on:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Since the gateway started</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests per second:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Allowed:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refused:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provider errors:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In flight:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open connections:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage records waiting to be written:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage records that failed to write:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clients use the OpenAI or Anthropic SDK with the base URL below and a Tollgate key. Every change made in this console applies from the next request.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This console runs without a gateway.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway stopped; requests under way were finished.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The gateway did not start: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway listening on %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Running at &lt;b&gt;%1&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>○ Stopped%1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::GroupTreeModel</name>
    <message>
        <source>no budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (warn)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Members</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>These users no longer exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 cannot go under %2: %2 is inside %1, and a group cannot contain itself.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move group %1 under %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make %1 a top-level group</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::GroupsPage</name>
    <message>
        <source>Groups</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New group…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New subgroup…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Undo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drag a group onto another to make it a subgroup, onto the empty area to make it top-level; drop users on a group to add them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Aggregate monthly budget (all members, subgroups included)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This month:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refuse requests over it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only warn</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Budget ($):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Members (drag them onto another group to move them):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove from group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No group selected</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Top-level group, %n direct member(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>In %1, %n direct member(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (no budget)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select the group to create a subgroup in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New subgroup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The group was not created: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Group %1 created.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rename group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The group was not renamed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete %1? Its members stay in the organisation; its subgroups move up a level.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Group %1 deleted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Budget of %1 saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select the members to remove.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::KeyDialog</name>
    <message>
        <source>New API key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The holder&apos;s private project</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Project:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>email of the person it belongs to; empty: a service key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Holder:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Members of these
groups may use it:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every model its user may use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only the models ticked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Features:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dollars; empty: no cap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly cap:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expires on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expiry:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the key a name (what it is for).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No user has the email %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A service key (no holder) needs a shared project.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tick at least one model, or let the key use every model its user may use.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tick at least one feature.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>monthly cap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The expiry date has passed.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::KeysPage</name>
    <message>
        <source>revoked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expired</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>API Keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Project</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Holder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly cap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expires</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New key…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set monthly cap…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Revoke…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show requests</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(service key)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key %1 created.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select one key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly cap of %1, in dollars (empty: no cap):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>monthly cap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing changed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cap of %1 saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Revoke keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Revoke %n key(s)? Requests with them are refused from now on.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n key(s) revoked.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Delete keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Delete %n key(s)? Their usage records stay.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n key(s) deleted.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>tollgate::LimitUse</name>
    <message>
        <source>user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>key</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::Main</name>
    <message>
        <source>Organization:   %1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database:       %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Users:          %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Groups:         %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Projects:       %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>API keys:       %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Customers:      %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models:         %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage records:  %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loaded the demo organisation: %1 users, %2 groups, %3 keys, %4 customers, %5 usage records.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A demo API key (shown once): %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tollgate: mock provider listening on http://%1:%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Try &apos;tollgate --help&apos;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tollgate: the console is already running; brought it to the front</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tollgate: a second launch cannot find this console: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tollgate: TOLLGATE_ADMIN_KEY is not used: it only becomes the owner key of a database that has no admin key yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created the owner admin key for the admin API (shown once; keep it safe): %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tollgate: gateway listening on %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tollgate: admin API on %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tollgate: stopping; finishing the requests under way</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tollgate: wrote the pages to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway listening on %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway not running: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway stopped</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::MainWindow</name>
    <message>
        <source>Tollgate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>key %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Close Window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Owner admin key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p&gt;Tollgate created an owner key for its admin API. It is shown only now: copy it to a safe place.&lt;/p&gt;&lt;p&gt;&lt;code&gt;%1&lt;/code&gt;&lt;/p&gt;&lt;p&gt;Scripts send it as &lt;code&gt;Authorization: Bearer &amp;lt;key&amp;gt;&lt;/code&gt; to&lt;br&gt;&lt;code&gt;%2&lt;/code&gt;&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Welcome to Tollgate. Your organisation&apos;s database was created at %1. To use another one (a file or a PostgreSQL server), open Settings.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::MembershipCommand</name>
    <message>
        <source>Add %n user(s) to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Already in %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove %n user(s) from %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not in %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move %n user(s) from %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::MessageBanner</name>
    <message>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::PoliciesPage</name>
    <message>
        <source>Policies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Organisation defaults</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Group settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User override</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type a user&apos;s email and press Enter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove override</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Revert</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Override removed: the user gets what their groups and the organisation set.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The policy has unsaved changes. Save them?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No user has the email %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Defaults for everyone in %1. Effective values: for a user in no group without an override of their own.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings of group %1, for its members and its subgroups&apos; members. Effective values: for a member of just this group without an override.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Override for %1 &lt;%2&gt;. It wins over every group and the organisation; the effective values are what the gateway enforces for this user.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a group.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a user.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unsaved changes; the effective values show them as if saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the group no longer exists</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: someone else changed this policy since it was opened. Revert to see their change, then make yours again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved. The gateway applies it from the next request.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::PolicyForm</name>
    <message>
        <source>dollars, e.g. 50 or 12.50</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 (cheapest) to 10</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a whole number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Limits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Effective value and where it comes from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Allowed models:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Blocked models:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bypass (this user only)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bypass cost and token limits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bypass rate limits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bypass model restrictions (allowed and blocked lists, maximum tier)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>⚠ A bypass lifts the limits of every level (the organisation&apos;s and every group&apos;s) for this user. Group and organisation budgets still count the spend.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Notes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why these settings (shown in the audit log)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inherit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unlimited</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only the models ticked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The models ticked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Any model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (tier %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Allowed models: tick at least one model, or choose Inherit or Any model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>type a value, or choose Inherit or Unlimited</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>any model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not set at any level</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::ProjectsPage</name>
    <message>
        <source>Projects</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>shared</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>private to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New project…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter projects</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit project</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New project</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly limit ($):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty: no limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every request made with a key of the project counts against its limit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Project saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select one project.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete project</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the project %1?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Project %1 deleted.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::ReparentCommand</name>
    <message>
        <source>the group no longer exists</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::RequestLogPage</name>
    <message>
        <source>Request Log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Customer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens in/out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cost</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>user email</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Any status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a request to see its details and the decision explained.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Any key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Any model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Any customer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No user has the email %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Showing %n request(s) for %1. Press Show to use the filters above.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>&lt;h3&gt;Request %1&lt;/h3&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p&gt;%1 · &lt;b&gt;%2&lt;/b&gt; · %3 · %4 input (%5 cached) / %6 output tokens · &lt;b&gt;%7&lt;/b&gt;%8%9&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · streamed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · charged its estimate: the provider reported no usage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Decision:&lt;/b&gt; %1&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Decision:&lt;/b&gt; allowed within every limit in force.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;The same request now:&lt;/b&gt; %1&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::SecretDialog</name>
    <message>
        <source>API key created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p&gt;The key &lt;b&gt;%1&lt;/b&gt; was created. Its secret is shown &lt;b&gt;only now&lt;/b&gt;: copy it to where it will be used. Tollgate keeps only a hash of it.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copied</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clients use it with the base URL &lt;code&gt;%1/v1&lt;/code&gt;.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::Service</name>
    <message>
        <source>must be after from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must not be negative</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>group %1 does not exist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must be day, week or month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the range holds more than %1 buckets; choose a coarser granularity or a shorter range</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(deleted user %1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(no user)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(deleted key %1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(deleted project %1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(no customer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must be user, group, key, project or customer</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Organisation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dollars; empty: no organisation budget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When a request does not fit the limit left, send it with a lower max_tokens instead of refusing it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time zone:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly budget ($):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start Tollgate at login, in the tray</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty: the embedded database in your data folder; or a file path, or postgresql://user:password@host:5432/name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Language:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In use: %1 · %2 usage records</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: the database: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: start at login: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved. The language and the database apply when Tollgate starts again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::TrayController</name>
    <message>
        <source>Gateway not started</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open console</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway running at %1 · %2 requests/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gateway stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start gateway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tollgate — %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has reached its monthly limit: %2 of %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has used %2 % of its monthly limit: %3 of %4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Limit reached</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Limit nearly reached</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::UserDialog</name>
    <message>
        <source>Edit user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Email:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>default: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly limit ($):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The name must not be empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The email must look like name@example.org.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>monthly limit</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::UsersModel</name>
    <message>
        <source>Active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (no limit)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Email</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Groups</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spend this month</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::UsersPage</name>
    <message>
        <source>Users</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter by name, email or group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New user…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add to group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove from group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set monthly limit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Activate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deactivate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Default limit for new users…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drop users on a group to add them to it</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n user(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n user(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>, %n selected</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>No groups yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Monthly spending limit for %n user(s), in dollars (empty: no personal limit):</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>monthly limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing changed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Setting the monthly limit of %n user(s)…</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Monthly limit %1 set for %n user(s).</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Personal monthly limit removed for %n user(s).</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Activating %n user(s)…</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deactivating %n user(s)…</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n user(s) activated.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n user(s) deactivated.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Default monthly limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly limit given to users created from now on, in dollars (empty: none):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>default monthly limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New users get a monthly limit of %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New users get no personal monthly limit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User created.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete users</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Delete %n user(s)? Their keys stop working; their usage records stay.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleting %n user(s)…</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n user(s) deleted.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>tollgate::UsersView</name>
    <message numerus="yes">
        <source>+%n users</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>tollgate::dialogs</name>
    <message>
        <source>Unsaved changes</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::format</name>
    <message>
        <source>unlimited</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 requests</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tier %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must be a whole number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must be between %1 and %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::preferences</name>
    <message>
        <source>System language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Windows did not accept the change to the Run key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot remove %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot create the folder of %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LLM gateway and spending console, in the tray</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>tollgate::screenshots</name>
    <message>
        <source>cannot create the folder %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cannot write %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
