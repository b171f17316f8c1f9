<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>tollgate::Catalog</name>
    <message>
        <source>Input</source>
        <translation>Eingabe</translation>
    </message>
    <message>
        <source>Cached input (cache read)</source>
        <translation>Zwischengespeicherte Eingabe (Cache-Lesen)</translation>
    </message>
    <message>
        <source>Cache write (5 minutes)</source>
        <translation>Cache-Schreiben (5 Minuten)</translation>
    </message>
    <message>
        <source>Cache write (1 hour)</source>
        <translation>Cache-Schreiben (1 Stunde)</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>Ausgabe</translation>
    </message>
    <message>
        <source>Reasoning output</source>
        <translation>Reasoning-Ausgabe</translation>
    </message>
    <message>
        <source>Audio input</source>
        <translation>Audio-Eingabe</translation>
    </message>
    <message>
        <source>Audio output</source>
        <translation>Audio-Ausgabe</translation>
    </message>
    <message>
        <source>Image input</source>
        <translation>Bild-Eingabe</translation>
    </message>
    <message>
        <source>Long context: input</source>
        <translation>Langer Kontext: Eingabe</translation>
    </message>
    <message>
        <source>Long context: cached input</source>
        <translation>Langer Kontext: zwischengespeicherte Eingabe</translation>
    </message>
    <message>
        <source>Long context: cache write (5 minutes)</source>
        <translation>Langer Kontext: Cache-Schreiben (5 Minuten)</translation>
    </message>
    <message>
        <source>Long context: cache write (1 hour)</source>
        <translation>Langer Kontext: Cache-Schreiben (1 Stunde)</translation>
    </message>
    <message>
        <source>Long context: output</source>
        <translation>Langer Kontext: Ausgabe</translation>
    </message>
    <message>
        <source>Web search (per 1,000 searches)</source>
        <translation>Websuche (je 1.000 Suchen)</translation>
    </message>
    <message>
        <source>Code execution (per 1,000 sessions)</source>
        <translation>Codeausführung (je 1.000 Sitzungen)</translation>
    </message>
    <message>
        <source>Reasoning tokens</source>
        <translation>Reasoning-Token</translation>
    </message>
    <message>
        <source>Cache-write tokens (5 minutes)</source>
        <translation>Cache-Schreib-Token (5 Minuten)</translation>
    </message>
    <message>
        <source>Cache-write tokens (1 hour)</source>
        <translation>Cache-Schreib-Token (1 Stunde)</translation>
    </message>
    <message>
        <source>Audio input tokens</source>
        <translation>Audio-Eingabe-Token</translation>
    </message>
    <message>
        <source>Audio output tokens</source>
        <translation>Audio-Ausgabe-Token</translation>
    </message>
    <message>
        <source>Image input tokens</source>
        <translation>Bild-Eingabe-Token</translation>
    </message>
    <message>
        <source>Web searches</source>
        <translation>Websuchen</translation>
    </message>
    <message>
        <source>Code-execution sessions</source>
        <translation>Codeausführungs-Sitzungen</translation>
    </message>
</context>
<context>
    <name>tollgate::CatalogCommand</name>
    <message>
        <source>cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>Wrote the catalog (%1 models) to %2</source>
        <translation>Katalog (%1 Modelle) nach %2 geschrieben</translation>
    </message>
    <message>
        <source>cannot read %1: %2</source>
        <translation>%1 kann nicht gelesen werden: %2</translation>
    </message>
    <message>
        <source>%1 is not a price file Tollgate can read: %2</source>
        <translation>%1 ist keine Preisdatei, die Tollgate lesen kann: %2</translation>
    </message>
    <message>
        <source>the built-in catalog</source>
        <translation>der eingebaute Katalog</translation>
    </message>
    <message>
        <source>+ %1 (new model)</source>
        <translation>+ %1 (neues Modell)</translation>
    </message>
    <message>
        <source>- %1 (removed)</source>
        <translation>- %1 (entfernt)</translation>
    </message>
    <message>
        <source>~ %1 %2: %3 -&gt; %4</source>
        <translation>~ %1 %2: %3 -&gt; %4</translation>
    </message>
    <message>
        <source>  skipped: %1</source>
        <translation>  übersprungen: %1</translation>
    </message>
    <message>
        <source>%1 changes to %2 models, %3 removed, %4 unchanged (%5 format)</source>
        <translation>%1 Änderungen an %2 Modellen, %3 entfernt, %4 unverändert (Format %5)</translation>
    </message>
    <message>
        <source>Nothing was changed: run it again with --apply to apply these changes.</source>
        <translation>Nichts wurde geändert: mit --apply erneut ausführen, um diese Änderungen anzuwenden.</translation>
    </message>
    <message>
        <source>Applied.</source>
        <translation>Angewendet.</translation>
    </message>
</context>
<context>
    <name>tollgate::CatalogPage</name>
    <message>
        <source>OpenAI-compatible</source>
        <translation>OpenAI-kompatibel</translation>
    </message>
    <message>
        <source>Anthropic</source>
        <translation>Anthropic</translation>
    </message>
    <message>
        <source>Built-in mock</source>
        <translation>Eingebaute Simulation</translation>
    </message>
    <message>
        <source>Models &amp; Providers</source>
        <translation>Modelle &amp; Anbieter</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Provider</source>
        <translation>Anbieter</translation>
    </message>
    <message>
        <source>Upstream name</source>
        <translation>Name beim Anbieter</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>Stufe</translation>
    </message>
    <message>
        <source>Input $/M</source>
        <translation>Eingabe $/M</translation>
    </message>
    <message>
        <source>Cached $/M</source>
        <translation>Zwischengespeichert $/M</translation>
    </message>
    <message>
        <source>Output $/M</source>
        <translation>Ausgabe $/M</translation>
    </message>
    <message>
        <source>Max output</source>
        <translation>Max. Ausgabe</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>Freigegeben</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ja</translation>
    </message>
    <message>
        <source>no</source>
        <translation>nein</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>Basis-URL</translation>
    </message>
    <message>
        <source>Secret</source>
        <translation>Geheimnis</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>nicht gesetzt</translation>
    </message>
    <message>
        <source>&lt;b&gt;Models&lt;/b&gt;  </source>
        <translation>&lt;b&gt;Modelle&lt;/b&gt;  </translation>
    </message>
    <message>
        <source>New model…</source>
        <translation>Neues Modell …</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Bearbeiten …</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Löschen …</translation>
    </message>
    <message>
        <source>&lt;b&gt;Providers&lt;/b&gt;  </source>
        <translation>&lt;b&gt;Anbieter&lt;/b&gt;  </translation>
    </message>
    <message>
        <source>New provider…</source>
        <translation>Neuer Anbieter …</translation>
    </message>
    <message>
        <source>Edit model</source>
        <translation>Modell bearbeiten</translation>
    </message>
    <message>
        <source>New model</source>
        <translation>Neues Modell</translation>
    </message>
    <message>
        <source>Model id:</source>
        <translation>Modell-ID:</translation>
    </message>
    <message>
        <source>as clients send it</source>
        <translation>wie Clients sie senden</translation>
    </message>
    <message>
        <source>Provider:</source>
        <translation>Anbieter:</translation>
    </message>
    <message>
        <source>Upstream name:</source>
        <translation>Name beim Anbieter:</translation>
    </message>
    <message>
        <source>empty: the same as the id</source>
        <translation>leer: wie die ID</translation>
    </message>
    <message>
        <source>Tier (1 = cheapest):</source>
        <translation>Stufe (1 = am günstigsten):</translation>
    </message>
    <message>
        <source>Maximum output tokens:</source>
        <translation>Höchstzahl Ausgabe-Token:</translation>
    </message>
    <message>
        <source>Context window (tokens):</source>
        <translation>Kontextfenster (Token):</translation>
    </message>
    <message>
        <source>Approved for use</source>
        <translation>Zur Nutzung freigegeben</translation>
    </message>
    <message>
        <source>must be 1 to 10</source>
        <translation>muss 1 bis 10 sein</translation>
    </message>
    <message>
        <source>must not be empty</source>
        <translation>darf nicht leer sein</translation>
    </message>
    <message>
        <source>entered in the console</source>
        <translation>in der Konsole eingegeben</translation>
    </message>
    <message>
        <source>Model saved.</source>
        <translation>Modell gespeichert.</translation>
    </message>
    <message>
        <source>Edit provider</source>
        <translation>Anbieter bearbeiten</translation>
    </message>
    <message>
        <source>New provider</source>
        <translation>Neuer Anbieter</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>Kind:</source>
        <translation>Art:</translation>
    </message>
    <message>
        <source>Base URL:</source>
        <translation>Basis-URL:</translation>
    </message>
    <message>
        <source>https://api.openai.com/v1</source>
        <translation>https://api.openai.com/v1</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API-Schlüssel:</translation>
    </message>
    <message>
        <source>stored; type to replace it</source>
        <translation>gespeichert; zum Ersetzen neu eingeben</translation>
    </message>
    <message>
        <source>the provider&apos;s API key</source>
        <translation>der API-Schlüssel des Anbieters</translation>
    </message>
    <message>
        <source>The key is stored and sent to the provider; it is never shown again, here or in the admin API.</source>
        <translation>Der Schlüssel wird gespeichert und an den Anbieter gesendet; er wird nie wieder angezeigt, weder hier noch in der Admin-API.</translation>
    </message>
    <message>
        <source>Provider saved.</source>
        <translation>Anbieter gespeichert.</translation>
    </message>
    <message>
        <source>Select one model.</source>
        <translation>Bitte ein Modell auswählen.</translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation>Modell löschen</translation>
    </message>
    <message>
        <source>Delete %1? Requests for it are refused from now on.</source>
        <translation>%1 löschen? Anfragen dafür werden ab sofort abgelehnt.</translation>
    </message>
    <message>
        <source>Select one provider.</source>
        <translation>Bitte einen Anbieter auswählen.</translation>
    </message>
    <message>
        <source>Delete provider</source>
        <translation>Anbieter löschen</translation>
    </message>
    <message>
        <source>Delete %1?</source>
        <translation>%1 löschen?</translation>
    </message>
    <message>
        <source>Alias or pattern</source>
        <translation>Alias oder Muster</translation>
    </message>
    <message>
        <source>pattern</source>
        <translation>Muster</translation>
    </message>
    <message>
        <source>alias</source>
        <translation>Alias</translation>
    </message>
    <message>
        <source>Served as</source>
        <translation>Bedient als</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Notiz</translation>
    </message>
    <message>
        <source>&lt;b&gt;Aliases and patterns&lt;/b&gt;  </source>
        <translation>&lt;b&gt;Aliasse und Muster&lt;/b&gt;  </translation>
    </message>
    <message>
        <source>New alias…</source>
        <translation>Neuer Alias …</translation>
    </message>
    <message>
        <source>Which model is this id?</source>
        <translation>Welches Modell ist diese ID?</translation>
    </message>
    <message>
        <source>A dated snapshot (-20250929) or -latest of a model needs no alias. A pattern (* and ?) serves a family&apos;s new releases at the prices of the model named; the most specific pattern wins.</source>
        <translation>Ein datierter Stand (-20250929) oder -latest eines Modells braucht keinen Alias. Ein Muster (* und ?) bedient neue Versionen einer Familie zu den Preisen des genannten Modells; das genaueste Muster gewinnt.</translation>
    </message>
    <message>
        <source>  refused: not in the catalog (closest: %1)</source>
        <translation>  abgelehnt: nicht im Katalog (am nächsten: %1)</translation>
    </message>
    <message>
        <source>  %1 is in the catalog</source>
        <translation>  %1 steht im Katalog</translation>
    </message>
    <message>
        <source>  served and priced as %1, by %2</source>
        <translation>  bedient und berechnet als %1, durch %2</translation>
    </message>
    <message>
        <source>Edit alias</source>
        <translation>Alias bearbeiten</translation>
    </message>
    <message>
        <source>New alias</source>
        <translation>Neuer Alias</translation>
    </message>
    <message>
        <source>Alias or pattern:</source>
        <translation>Alias oder Muster:</translation>
    </message>
    <message>
        <source>opus, or claude-opus-*</source>
        <translation>opus oder claude-opus-*</translation>
    </message>
    <message>
        <source>Served as model:</source>
        <translation>Bedient als Modell:</translation>
    </message>
    <message>
        <source>Note:</source>
        <translation>Notiz:</translation>
    </message>
    <message>
        <source>why it is there</source>
        <translation>warum es ihn gibt</translation>
    </message>
    <message>
        <source>Requests for the alias are counted, limited and priced as that model; the usage record keeps the id the client sent and the alias or pattern that matched.</source>
        <translation>Anfragen für den Alias werden wie dieses Modell gezählt, begrenzt und berechnet; der Nutzungseintrag behält die ID, die der Client gesendet hat, und den Alias oder das Muster, das gepasst hat.</translation>
    </message>
    <message>
        <source>Alias saved.</source>
        <translation>Alias gespeichert.</translation>
    </message>
    <message>
        <source>Select one alias.</source>
        <translation>Bitte einen Alias auswählen.</translation>
    </message>
    <message>
        <source>Delete alias</source>
        <translation>Alias löschen</translation>
    </message>
    <message>
        <source>Delete %1? Requests for ids it serves are refused unless another rule serves them.</source>
        <translation>%1 löschen? Anfragen für IDs, die er bedient, werden abgelehnt, sofern keine andere Regel sie bedient.</translation>
    </message>
    <message>
        <source>Output cap field:</source>
        <translation>Feld für die Ausgabegrenze:</translation>
    </message>
    <message>
        <source>as the client sends it</source>
        <translation>wie der Client es sendet</translation>
    </message>
    <message>
        <source>Cache write $/M</source>
        <translation>Cache-Schreiben $/M</translation>
    </message>
    <message>
        <source>Long context</source>
        <translation>Langer Kontext</translation>
    </message>
    <message>
        <source>above %1</source>
        <translation>über %1</translation>
    </message>
    <message>
        <source>Update prices from file…</source>
        <translation>Preise aus Datei aktualisieren …</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportieren …</translation>
    </message>
    <message>
        <source>Prices in US dollars per million tokens; server tools per 1,000 calls. Leave a price empty to follow its default, shown in grey.</source>
        <translation>Preise in US-Dollar je Million Token; Server-Tools je 1.000 Aufrufe. Einen Preis leer lassen, um seinem grau angezeigten Standard zu folgen.</translation>
    </message>
    <message>
        <source>default: %1</source>
        <translation>Standard: %1</translation>
    </message>
    <message>
        <source>from the price above</source>
        <translation>aus dem Preis darüber</translation>
    </message>
    <message>
        <source>Long-context tier above (input tokens):</source>
        <translation>Stufe für langen Kontext ab (Eingabe-Token):</translation>
    </message>
    <message>
        <source>empty: one tier</source>
        <translation>leer: eine Stufe</translation>
    </message>
    <message>
        <source>Most tokens one image costs:</source>
        <translation>Höchstens Token je Bild:</translation>
    </message>
    <message>
        <source>empty: the provider&apos;s sizing rule</source>
        <translation>leer: die Größenregel des Anbieters</translation>
    </message>
    <message>
        <source>Update prices from file</source>
        <translation>Preise aus Datei aktualisieren</translation>
    </message>
    <message>
        <source>Price files (*.json);;All files (*)</source>
        <translation>Preisdateien (*.json);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>%1 kann nicht gelesen werden: %2</translation>
    </message>
    <message>
        <source>%1 is not a price file Tollgate can read: %2</source>
        <translation>%1 ist keine Preisdatei, die Tollgate lesen kann: %2</translation>
    </message>
    <message numerus="yes">
        <source>%n price changes applied.</source>
        <translation>
            <numerusform>%n Preisänderung angewendet.</numerusform>
            <numerusform>%n Preisänderungen angewendet.</numerusform>
        </translation>
    </message>
    <message>
        <source>Export the catalog</source>
        <translation>Katalog exportieren</translation>
    </message>
    <message>
        <source>Tollgate catalog (*.json)</source>
        <translation>Tollgate-Katalog (*.json)</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>Catalog exported to %1.</source>
        <translation>Katalog nach %1 exportiert.</translation>
    </message>
    <message>
        <source>Rotate secret key…</source>
        <translation>Geheimschlüssel erneuern …</translation>
    </message>
    <message>
        <source>Secrets typed here go to the OS keychain; where none answers they are encrypted under a key held in memory (this database is in memory too).</source>
        <translation>Hier eingegebene Geheimnisse kommen in den Schlüsselbund des Systems; wo keiner antwortet, werden sie mit einem Schlüssel im Arbeitsspeicher verschlüsselt (auch diese Datenbank liegt im Arbeitsspeicher).</translation>
    </message>
    <message>
        <source>Secrets typed here go to the OS keychain (%1). Where none answers, and for secrets set through the admin API on a server, they are encrypted in the database under the key file %2: back it up with the database.</source>
        <translation>Hier eingegebene Geheimnisse kommen in den Schlüsselbund des Systems (%1). Wo keiner antwortet, und für Geheimnisse, die auf einem Server über die Admin-API gesetzt werden, werden sie in der Datenbank mit der Schlüsseldatei %2 verschlüsselt: Sichern Sie sie zusammen mit der Datenbank.</translation>
    </message>
    <message>
        <source>in a keychain this session cannot read</source>
        <translation>in einem Schlüsselbund, den diese Sitzung nicht lesen kann</translation>
    </message>
    <message>
        <source>in the OS keychain</source>
        <translation>im Schlüsselbund des Systems</translation>
    </message>
    <message>
        <source>encrypted under the key file</source>
        <translation>mit der Schlüsseldatei verschlüsselt</translation>
    </message>
    <message>
        <source>in plain text</source>
        <translation>im Klartext</translation>
    </message>
    <message>
        <source>Rotate secret key</source>
        <translation>Geheimschlüssel erneuern</translation>
    </message>
    <message>
        <source>Encrypt every provider secret kept in the database under a new key, and replace the key file %1 with it?

Instances that share this database need the new file afterwards; secrets in the OS keychain stay where they are.</source>
        <translation>Jedes in der Datenbank gespeicherte Anbieter-Geheimnis mit einem neuen Schlüssel verschlüsseln und die Schlüsseldatei %1 durch ihn ersetzen?

Instanzen, die diese Datenbank teilen, brauchen danach die neue Datei; Geheimnisse im Schlüsselbund des Systems bleiben, wo sie sind.</translation>
    </message>
    <message numerus="yes">
        <source>%n secret(s) encrypted under the new key %1. Back up the key file %2.</source>
        <translation>
            <numerusform>%n Geheimnis mit dem neuen Schlüssel %1 verschlüsselt. Sichern Sie die Schlüsseldatei %2.</numerusform>
            <numerusform>%n Geheimnisse mit dem neuen Schlüssel %1 verschlüsselt. Sichern Sie die Schlüsseldatei %2.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>tollgate::CommandLine</name>
    <message>
        <source>Show this help and exit.</source>
        <translation>Diese Hilfe zeigen und beenden.</translation>
    </message>
    <message>
        <source>Show the version and exit.</source>
        <translation>Die Version zeigen und beenden.</translation>
    </message>
    <message>
        <source>The database: a SQLite file (default: %1) or a postgresql:// URL.</source>
        <translation>Die Datenbank: eine SQLite-Datei (Standard: %1) oder eine postgresql://-URL.</translation>
    </message>
    <message>
        <source>location</source>
        <translation>Ort</translation>
    </message>
    <message>
        <source>Start on the demo organisation (loaded into an empty database).</source>
        <translation>Mit der Demo-Organisation starten (in eine leere Datenbank geladen).</translation>
    </message>
    <message>
        <source>Gateway address, HOST:PORT (default 127.0.0.1:8787; mock-upstream 127.0.0.1:9100).</source>
        <translation>Adresse des Gateways, HOST:PORT (Standard 127.0.0.1:8787; mock-upstream 127.0.0.1:9100).</translation>
    </message>
    <message>
        <source>address</source>
        <translation>Adresse</translation>
    </message>
    <message>
        <source>Serve the admin API (/api/admin) on its own address, HOST:PORT. Without it, the admin API answers on the gateway&apos;s address to clients on this machine only.</source>
        <translation>Die Admin-API (/api/admin) unter einer eigenen Adresse anbieten, HOST:PORT. Ohne diese Option antwortet die Admin-API unter der Adresse des Gateways, nur für Clients auf diesem Rechner.</translation>
    </message>
    <message>
        <source>Gateway settings file (JSON).</source>
        <translation>Einstellungsdatei des Gateways (JSON).</translation>
    </message>
    <message>
        <source>file</source>
        <translation>Datei</translation>
    </message>
    <message>
        <source>Serve HTTPS with this PEM certificate (chain).</source>
        <translation>HTTPS mit diesem PEM-Zertifikat (samt Kette) anbieten.</translation>
    </message>
    <message>
        <source>The PEM private key for --tls-cert.</source>
        <translation>Der private PEM-Schlüssel zu --tls-cert.</translation>
    </message>
    <message>
        <source>mock-upstream: wait this long before answering.</source>
        <translation>mock-upstream: so lange vor jeder Antwort warten.</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Console: start in the tray without showing the window (as at login).</source>
        <translation>Konsole: im Infobereich starten, ohne das Fenster zu zeigen (wie bei der Anmeldung).</translation>
    </message>
    <message>
        <source>[command]</source>
        <translation>[Befehl]</translation>
    </message>
    <message>
        <source>is empty; give a SQLite file path or a postgresql:// URL</source>
        <translation>ist leer; bitte einen SQLite-Dateipfad oder eine postgresql://-URL angeben</translation>
    </message>
    <message>
        <source>and --tls-key go together</source>
        <translation>und --tls-key gehören zusammen</translation>
    </message>
    <message>
        <source>must be a whole number of milliseconds, 0 to 600000</source>
        <translation>muss eine ganze Zahl von Millisekunden sein, 0 bis 600000</translation>
    </message>
    <message>
        <source>takes the folder to write the pictures to</source>
        <translation>braucht den Ordner, in den die Bilder geschrieben werden</translation>
    </message>
    <message>
        <source>takes one command at most, got: %1</source>
        <translation>nimmt höchstens einen Befehl, erhalten: %1</translation>
    </message>
    <message>
        <source>catalog import: apply the changes (otherwise only shown).</source>
        <translation>catalog import: die Änderungen anwenden (sonst nur zeigen).</translation>
    </message>
    <message>
        <source>catalog import: add the file&apos;s models the catalog does not have (unapproved).</source>
        <translation>catalog import: Modelle der Datei hinzufügen, die der Katalog nicht hat (nicht freigegeben).</translation>
    </message>
    <message>
        <source>catalog import: remove the models a Tollgate catalog file does not list.</source>
        <translation>catalog import: die Modelle entfernen, die eine Tollgate-Katalogdatei nicht aufführt.</translation>
    </message>
    <message>
        <source>catalog import: the price list built into this Tollgate.</source>
        <translation>catalog import: die in dieses Tollgate eingebaute Preisliste.</translation>
    </message>
    <message>
        <source>takes a price file, or --built-in</source>
        <translation>braucht eine Preisdatei oder --built-in</translation>
    </message>
    <message>
        <source>takes one file at most</source>
        <translation>nimmt höchstens eine Datei</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a catalog command; use import or export</source>
        <translation>„%1“ ist kein Katalogbefehl; import oder export verwenden</translation>
    </message>
    <message>
        <source>Tollgate: the administration console and gateway for an organisation&apos;s LLM usage.

Commands:
  (none)         open the console (it runs the gateway too)
  serve          run the gateway without a display; SIGTERM drains requests under way and stops
  mock-upstream  run the mock LLM provider on its own (OpenAI and Anthropic APIs), for tests
  info           print a summary of the organisation and exit
  reset-demo     replace the organisation with the demo organisation and exit
  screenshots DIR  render every page of the console to DIR/NN-page.png and exit
  catalog import FILE  show what a price file (Tollgate&apos;s catalog format or the public
                 model_prices_and_context_window.json) would change; --apply applies it
  catalog import --built-in  the same with the price list this Tollgate ships
  catalog export [FILE]  write the catalog in Tollgate&apos;s format (to standard output without FILE)
  rotate-secret-key  encrypt the provider secrets under a new key, replace the key file and exit</source>
        <translation>Tollgate: Verwaltungskonsole und Gateway für die LLM-Nutzung einer Organisation.

Befehle:
  (keiner)       die Konsole öffnen (sie betreibt auch das Gateway)
  serve          das Gateway ohne Bildschirm betreiben; SIGTERM lässt laufende Anfragen zu Ende laufen und beendet
  mock-upstream  den simulierten LLM-Anbieter allein betreiben (OpenAI- und Anthropic-API), für Tests
  info           eine Übersicht der Organisation ausgeben und beenden
  reset-demo     die Organisation durch die Demo-Organisation ersetzen und beenden
  screenshots DIR  jede Seite der Konsole als DIR/NN-seite.png speichern und beenden
  catalog import DATEI  zeigen, was eine Preisdatei (Tollgates Katalogformat oder die öffentliche
                 model_prices_and_context_window.json) ändern würde; --apply wendet es an
  catalog import --built-in  dasselbe mit der Preisliste, die dieses Tollgate mitbringt
  catalog export [DATEI]  den Katalog in Tollgates Format schreiben (ohne DATEI auf die Standardausgabe)
  rotate-secret-key  die Anbieter-Geheimnisse mit einem neuen Schlüssel verschlüsseln, die Schlüsseldatei ersetzen und beenden</translation>
    </message>
    <message>
        <source>The key that encrypts provider secrets in the database (default: TOLLGATE_SECRET_KEY_FILE, else next to a SQLite database, else in the data folder; made on first start).</source>
        <translation>Der Schlüssel, der die Anbieter-Geheimnisse in der Datenbank verschlüsselt (Standard: TOLLGATE_SECRET_KEY_FILE, sonst neben einer SQLite-Datenbank, sonst im Datenordner; beim ersten Start erzeugt).</translation>
    </message>
    <message>
        <source>serve, mock-upstream, info, reset-demo, screenshots, catalog or rotate-secret-key; none opens the console.</source>
        <translation>serve, mock-upstream, info, reset-demo, screenshots, catalog oder rotate-secret-key; ohne Befehl öffnet sich die Konsole.</translation>
    </message>
    <message>
        <source>is empty; give the path of the secret key file</source>
        <translation>ist leer; geben Sie den Pfad der Schlüsseldatei an</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a command; use serve, mock-upstream, info, reset-demo, screenshots, catalog or rotate-secret-key, or none for the console</source>
        <translation>„%1“ ist kein Befehl; verwenden Sie serve, mock-upstream, info, reset-demo, screenshots, catalog oder rotate-secret-key, oder keinen für die Konsole</translation>
    </message>
</context>
<context>
    <name>tollgate::CustomersPage</name>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>daily</source>
        <translation>täglich</translation>
    </message>
    <message>
        <source>weekly</source>
        <translation>wöchentlich</translation>
    </message>
    <message>
        <source>monthly</source>
        <translation>monatlich</translation>
    </message>
    <message>
        <source>yearly</source>
        <translation>jährlich</translation>
    </message>
    <message>
        <source>custom period</source>
        <translation>eigener Zeitraum</translation>
    </message>
    <message>
        <source>must be a date like 2026-12-31</source>
        <translation>muss ein Datum wie 2026-12-31 sein</translation>
    </message>
    <message>
        <source>Customers</source>
        <translation>Kunden</translation>
    </message>
    <message>
        <source>Identifier</source>
        <translation>Kennung</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Email</source>
        <translation>E-Mail</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>Dieser Monat</translation>
    </message>
    <message>
        <source>Requests/min</source>
        <translation>Anfragen/min</translation>
    </message>
    <message>
        <source>Period budget</source>
        <translation>Budget pro Zeitraum</translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <source>Lifetime budget</source>
        <translation>Gesamtbudget</translation>
    </message>
    <message>
        <source>Markup</source>
        <translation>Aufschlag</translation>
    </message>
    <message>
        <source>New customer…</source>
        <translation>Neuer Kunde …</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Bearbeiten …</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Löschen …</translation>
    </message>
    <message>
        <source>Filter customers</source>
        <translation>Kunden filtern</translation>
    </message>
    <message>
        <source>Edit customer</source>
        <translation>Kunde bearbeiten</translation>
    </message>
    <message>
        <source>New customer</source>
        <translation>Neuer Kunde</translation>
    </message>
    <message>
        <source>Identifier:</source>
        <translation>Kennung:</translation>
    </message>
    <message>
        <source>as sent in customer_params.customer_identifier</source>
        <translation>wie in customer_params.customer_identifier gesendet</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>Email:</source>
        <translation>E-Mail:</translation>
    </message>
    <message>
        <source>Requests per minute:</source>
        <translation>Anfragen pro Minute:</translation>
    </message>
    <message>
        <source>empty: no rate limit</source>
        <translation>leer: keine Ratenbegrenzung</translation>
    </message>
    <message>
        <source>Budget period:</source>
        <translation>Budgetzeitraum:</translation>
    </message>
    <message>
        <source>Period budget ($):</source>
        <translation>Budget pro Zeitraum ($):</translation>
    </message>
    <message>
        <source>empty: none</source>
        <translation>leer: keins</translation>
    </message>
    <message>
        <source>Custom period from:</source>
        <translation>Eigener Zeitraum ab:</translation>
    </message>
    <message>
        <source>2026-01-01</source>
        <translation>2026-01-01</translation>
    </message>
    <message>
        <source>Custom period until:</source>
        <translation>Eigener Zeitraum bis:</translation>
    </message>
    <message>
        <source>2026-12-31 (exclusive)</source>
        <translation>2026-12-31 (ausschließlich)</translation>
    </message>
    <message>
        <source>Lifetime budget ($):</source>
        <translation>Gesamtbudget ($):</translation>
    </message>
    <message>
        <source>Markup (%):</source>
        <translation>Aufschlag (%):</translation>
    </message>
    <message>
        <source>for reports; e.g. 12.5</source>
        <translation>für Berichte; z. B. 12.5</translation>
    </message>
    <message>
        <source>must be between 0 and 10000 percent</source>
        <translation>muss zwischen 0 und 10000 Prozent liegen</translation>
    </message>
    <message>
        <source>Customer saved.</source>
        <translation>Kunde gespeichert.</translation>
    </message>
    <message>
        <source>Select one customer.</source>
        <translation>Bitte einen Kunden auswählen.</translation>
    </message>
    <message>
        <source>Delete customer</source>
        <translation>Kunde löschen</translation>
    </message>
    <message>
        <source>Delete the customer %1? Their usage records stay.</source>
        <translation>Den Kunden %1 löschen? Seine Nutzungsdaten bleiben erhalten.</translation>
    </message>
    <message>
        <source>Customer %1 deleted.</source>
        <translation>Kunde %1 gelöscht.</translation>
    </message>
    <message>
        <source>Lock these limits: requests (customer_params) may not change them</source>
        <translation>Diese Grenzen sperren: Anfragen (customer_params) dürfen sie nicht ändern</translation>
    </message>
    <message>
        <source>Limits locked</source>
        <translation>Grenzen gesperrt</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ja</translation>
    </message>
    <message>
        <source>no</source>
        <translation>nein</translation>
    </message>
    <message>
        <source>No end customers yet. They appear with the first request that names one in customer_params, or with New customer…</source>
        <translation>Noch keine Endkunden. Sie erscheinen mit der ersten Anfrage, die einen in customer_params nennt, oder mit Neuer Kunde …</translation>
    </message>
    <message>
        <source>No customer matches the filter.</source>
        <translation>Kein Kunde passt zum Filter.</translation>
    </message>
</context>
<context>
    <name>tollgate::Dashboard</name>
    <message>
        <source>Other</source>
        <translation>Sonstige</translation>
    </message>
</context>
<context>
    <name>tollgate::DashboardPage</name>
    <message>
        <source>Dashboard</source>
        <translation>Übersicht</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>Letzte 7 Tage</translation>
    </message>
    <message>
        <source>Last 14 days</source>
        <translation>Letzte 14 Tage</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>Letzte 30 Tage</translation>
    </message>
    <message>
        <source>Last 90 days</source>
        <translation>Letzte 90 Tage</translation>
    </message>
    <message>
        <source>Stack by model</source>
        <translation>Nach Modell gestapelt</translation>
    </message>
    <message>
        <source>Stack by user</source>
        <translation>Nach Benutzer gestapelt</translation>
    </message>
    <message>
        <source>Stack by group</source>
        <translation>Nach Gruppe gestapelt</translation>
    </message>
    <message>
        <source>Spend per day (click a bar for its requests)</source>
        <translation>Ausgaben pro Tag (Balken anklicken für die Anfragen)</translation>
    </message>
    <message>
        <source>Top users by cost</source>
        <translation>Benutzer mit den höchsten Kosten</translation>
    </message>
    <message>
        <source>Daily active users</source>
        <translation>Aktive Benutzer pro Tag</translation>
    </message>
    <message>
        <source>Monthly limit use</source>
        <translation>Auslastung der Monatslimits</translation>
    </message>
    <message>
        <source>Spend</source>
        <translation>Ausgaben</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>Limit</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>Genutzt</translation>
    </message>
    <message>
        <source>The dashboard could not be read: %1</source>
        <translation>Die Übersicht konnte nicht gelesen werden: %1</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; spent · &lt;b&gt;%2&lt;/b&gt; requests · &lt;b&gt;%3&lt;/b&gt; refused · %4 tokens</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; ausgegeben · &lt;b&gt;%2&lt;/b&gt; Anfragen · &lt;b&gt;%3&lt;/b&gt; abgelehnt · %4 Token</translation>
    </message>
    <message>
        <source>%1 on %2</source>
        <translation>%1 am %2</translation>
    </message>
    <message>
        <source>Cost</source>
        <translation>Kosten</translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <source>Nobody is above half of a monthly limit.</source>
        <translation>Niemand liegt über der Hälfte eines Monatslimits.</translation>
    </message>
    <message>
        <source>every request on %1</source>
        <translation>alle Anfragen am %1</translation>
    </message>
</context>
<context>
    <name>tollgate::EditDialog</name>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
</context>
<context>
    <name>tollgate::GatewayPage</name>
    <message>
        <source>Gateway</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>Listen on:</source>
        <translation>Lauscht auf:</translation>
    </message>
    <message>
        <source>Since the gateway started</source>
        <translation>Seit dem Start des Gateways</translation>
    </message>
    <message>
        <source>Requests per second:</source>
        <translation>Anfragen pro Sekunde:</translation>
    </message>
    <message>
        <source>Requests:</source>
        <translation>Anfragen:</translation>
    </message>
    <message>
        <source>Allowed:</source>
        <translation>Zugelassen:</translation>
    </message>
    <message>
        <source>Refused:</source>
        <translation>Abgelehnt:</translation>
    </message>
    <message>
        <source>Provider errors:</source>
        <translation>Fehler beim Anbieter:</translation>
    </message>
    <message>
        <source>In flight:</source>
        <translation>In Bearbeitung:</translation>
    </message>
    <message>
        <source>Open connections:</source>
        <translation>Offene Verbindungen:</translation>
    </message>
    <message>
        <source>Usage records waiting to be written:</source>
        <translation>Nutzungsdatensätze, die auf das Schreiben warten:</translation>
    </message>
    <message>
        <source>Usage records that failed to write:</source>
        <translation>Nutzungsdatensätze, deren Schreiben fehlschlug:</translation>
    </message>
    <message>
        <source>Clients use the OpenAI or Anthropic SDK with the base URL below and a Tollgate key. Every change made in this console applies from the next request.</source>
        <translation>Clients verwenden das OpenAI- oder Anthropic-SDK mit der Basis-URL unten und einem Tollgate-Schlüssel. Jede Änderung in dieser Konsole gilt ab der nächsten Anfrage.</translation>
    </message>
    <message>
        <source>This console runs without a gateway.</source>
        <translation>Diese Konsole läuft ohne Gateway.</translation>
    </message>
    <message>
        <source>Gateway stopped; requests under way were finished.</source>
        <translation>Gateway angehalten; laufende Anfragen wurden abgeschlossen.</translation>
    </message>
    <message>
        <source>The gateway did not start: %1</source>
        <translation>Das Gateway ist nicht gestartet: %1</translation>
    </message>
    <message>
        <source>Gateway listening on %1.</source>
        <translation>Gateway lauscht auf %1.</translation>
    </message>
    <message>
        <source>● Running at &lt;b&gt;%1&lt;/b&gt;</source>
        <translation>● Läuft unter &lt;b&gt;%1&lt;/b&gt;</translation>
    </message>
    <message>
        <source>○ Stopped%1</source>
        <translation>○ Angehalten%1</translation>
    </message>
    <message>
        <source>: %1</source>
        <translation>: %1</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Starten</translation>
    </message>
</context>
<context>
    <name>tollgate::GroupTreeModel</name>
    <message>
        <source>no budget</source>
        <translation>kein Budget</translation>
    </message>
    <message>
        <source>%1 (warn)</source>
        <translation>%1 (Warnung)</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>Gruppe</translation>
    </message>
    <message>
        <source>Members</source>
        <translation>Mitglieder</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>Dieser Monat</translation>
    </message>
    <message>
        <source>Monthly budget</source>
        <translation>Monatsbudget</translation>
    </message>
    <message>
        <source>These users no longer exist.</source>
        <translation>Diese Benutzer gibt es nicht mehr.</translation>
    </message>
    <message>
        <source>%1 cannot go under %2: %2 is inside %1, and a group cannot contain itself.</source>
        <translation>%1 kann nicht unter %2 liegen: %2 liegt in %1, und eine Gruppe kann sich nicht selbst enthalten.</translation>
    </message>
    <message>
        <source>Move group %1 under %2</source>
        <translation>Gruppe %1 unter %2 verschieben</translation>
    </message>
    <message>
        <source>Make %1 a top-level group</source>
        <translation>%1 zur obersten Gruppe machen</translation>
    </message>
</context>
<context>
    <name>tollgate::GroupsPage</name>
    <message>
        <source>Groups</source>
        <translation>Gruppen</translation>
    </message>
    <message>
        <source>New group…</source>
        <translation>Neue Gruppe …</translation>
    </message>
    <message>
        <source>New subgroup…</source>
        <translation>Neue Untergruppe …</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Umbenennen …</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Löschen …</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Rückgängig</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>Wiederholen</translation>
    </message>
    <message>
        <source>Drag a group onto another to make it a subgroup, onto the empty area to make it top-level; drop users on a group to add them</source>
        <translation>Eine Gruppe auf eine andere ziehen, um sie zur Untergruppe zu machen, auf die freie Fläche für die oberste Ebene; Benutzer auf eine Gruppe ziehen, um sie hinzuzufügen</translation>
    </message>
    <message>
        <source>Aggregate monthly budget: what members spend while in the group, subgroups included</source>
        <translation>Gemeinsames Monatsbudget: was Mitglieder ausgeben, solange sie in der Gruppe sind, Untergruppen eingeschlossen</translation>
    </message>
    <message>
        <source>This month:</source>
        <translation>Dieser Monat:</translation>
    </message>
    <message>
        <source>no budget</source>
        <translation>kein Budget</translation>
    </message>
    <message>
        <source>Refuse requests over it</source>
        <translation>Anfragen darüber ablehnen</translation>
    </message>
    <message>
        <source>Only warn</source>
        <translation>Nur warnen</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>Budget ($):</source>
        <translation>Budget ($):</translation>
    </message>
    <message>
        <source>Members (drag them onto another group to move them):</source>
        <translation>Mitglieder (zum Verschieben auf eine andere Gruppe ziehen):</translation>
    </message>
    <message>
        <source>Remove from group</source>
        <translation>Aus der Gruppe entfernen</translation>
    </message>
    <message>
        <source>No group selected</source>
        <translation>Keine Gruppe ausgewählt</translation>
    </message>
    <message numerus="yes">
        <source>Top-level group, %n direct member(s)</source>
        <translation>
            <numerusform>Oberste Gruppe, %n direktes Mitglied</numerusform>
            <numerusform>Oberste Gruppe, %n direkte Mitglieder</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>In %1, %n direct member(s)</source>
        <translation>
            <numerusform>In %1, %n direktes Mitglied</numerusform>
            <numerusform>In %1, %n direkte Mitglieder</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>%1 (no budget)</source>
        <translation>%1 (kein Budget)</translation>
    </message>
    <message>
        <source>Select the group to create a subgroup in.</source>
        <translation>Bitte die Gruppe wählen, in der die Untergruppe entstehen soll.</translation>
    </message>
    <message>
        <source>New subgroup</source>
        <translation>Neue Untergruppe</translation>
    </message>
    <message>
        <source>New group</source>
        <translation>Neue Gruppe</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>The group was not created: %1</source>
        <translation>Die Gruppe wurde nicht angelegt: %1</translation>
    </message>
    <message>
        <source>Group %1 created.</source>
        <translation>Gruppe %1 angelegt.</translation>
    </message>
    <message>
        <source>Rename group</source>
        <translation>Gruppe umbenennen</translation>
    </message>
    <message>
        <source>The group was not renamed: %1</source>
        <translation>Die Gruppe wurde nicht umbenannt: %1</translation>
    </message>
    <message>
        <source>Delete group</source>
        <translation>Gruppe löschen</translation>
    </message>
    <message>
        <source>Delete %1? Its members stay in the organisation; its subgroups move up a level.</source>
        <translation>%1 löschen? Die Mitglieder bleiben in der Organisation; die Untergruppen rücken eine Ebene auf.</translation>
    </message>
    <message>
        <source>Group %1 deleted.</source>
        <translation>Gruppe %1 gelöscht.</translation>
    </message>
    <message>
        <source>budget</source>
        <translation>Budget</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Nicht gespeichert: %1</translation>
    </message>
    <message>
        <source>Budget of %1 saved.</source>
        <translation>Budget von %1 gespeichert.</translation>
    </message>
    <message>
        <source>Select the members to remove.</source>
        <translation>Bitte die zu entfernenden Mitglieder auswählen.</translation>
    </message>
    <message>
        <source>No direct members: drag users here from the Users page or from another group.</source>
        <translation>Keine direkten Mitglieder: Benutzer von der Seite Benutzer oder aus einer anderen Gruppe hierher ziehen.</translation>
    </message>
    <message>
        <source>No member matches the filter.</source>
        <translation>Kein Mitglied passt zum Filter.</translation>
    </message>
</context>
<context>
    <name>tollgate::KeyDialog</name>
    <message>
        <source>New API key</source>
        <translation>Neuer API-Schlüssel</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>The holder&apos;s private project</source>
        <translation>Privates Projekt des Inhabers</translation>
    </message>
    <message>
        <source>Project:</source>
        <translation>Projekt:</translation>
    </message>
    <message>
        <source>email of the person it belongs to; empty: a service key</source>
        <translation>E-Mail der Person, der er gehört; leer: ein Dienstschlüssel</translation>
    </message>
    <message>
        <source>Holder:</source>
        <translation>Inhaber:</translation>
    </message>
    <message>
        <source>Members of these
groups may use it:</source>
        <translation>Mitglieder dieser
Gruppen dürfen ihn nutzen:</translation>
    </message>
    <message>
        <source>Every model its user may use</source>
        <translation>Jedes Modell, das sein Benutzer nutzen darf</translation>
    </message>
    <message>
        <source>Only the models ticked</source>
        <translation>Nur die angehakten Modelle</translation>
    </message>
    <message>
        <source>Models:</source>
        <translation>Modelle:</translation>
    </message>
    <message>
        <source>Features:</source>
        <translation>Funktionen:</translation>
    </message>
    <message>
        <source>dollars; empty: no cap</source>
        <translation>Dollar; leer: keine Obergrenze</translation>
    </message>
    <message>
        <source>Monthly cap:</source>
        <translation>Monatliche Obergrenze:</translation>
    </message>
    <message>
        <source>Expires on</source>
        <translation>Läuft ab am</translation>
    </message>
    <message>
        <source>Expiry:</source>
        <translation>Ablauf:</translation>
    </message>
    <message>
        <source>Create key</source>
        <translation>Schlüssel erstellen</translation>
    </message>
    <message>
        <source>Give the key a name (what it is for).</source>
        <translation>Bitte dem Schlüssel einen Namen geben (wofür er ist).</translation>
    </message>
    <message>
        <source>No user has the email %1.</source>
        <translation>Kein Benutzer hat die E-Mail %1.</translation>
    </message>
    <message>
        <source>A service key (no holder) needs a shared project.</source>
        <translation>Ein Dienstschlüssel (ohne Inhaber) braucht ein gemeinsames Projekt.</translation>
    </message>
    <message>
        <source>Tick at least one model, or let the key use every model its user may use.</source>
        <translation>Mindestens ein Modell anhaken oder den Schlüssel jedes Modell seines Benutzers nutzen lassen.</translation>
    </message>
    <message>
        <source>Tick at least one feature.</source>
        <translation>Mindestens eine Funktion anhaken.</translation>
    </message>
    <message>
        <source>monthly cap</source>
        <translation>monatliche Obergrenze</translation>
    </message>
    <message>
        <source>The expiry date has passed.</source>
        <translation>Das Ablaufdatum liegt in der Vergangenheit.</translation>
    </message>
    <message>
        <source>Lets requests with this key set the budgets, rate limit and markup of end customers (customer_params); without it they may only name and describe them.</source>
        <translation>Erlaubt Anfragen mit diesem Schlüssel, Budgets, Ratenlimit und Aufschlag von Endkunden zu setzen (customer_params); ohne dies dürfen sie Kunden nur benennen und beschreiben.</translation>
    </message>
</context>
<context>
    <name>tollgate::KeysPage</name>
    <message>
        <source>revoked</source>
        <translation>widerrufen</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>abgelaufen</translation>
    </message>
    <message>
        <source>active</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <source>API Keys</source>
        <translation>API-Schlüssel</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>Project</source>
        <translation>Projekt</translation>
    </message>
    <message>
        <source>Holder</source>
        <translation>Inhaber</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>Dieser Monat</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>Anfragen</translation>
    </message>
    <message>
        <source>Monthly cap</source>
        <translation>Monatliche Obergrenze</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Läuft ab</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nie</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>Zuletzt genutzt</translation>
    </message>
    <message>
        <source>New key…</source>
        <translation>Neuer Schlüssel …</translation>
    </message>
    <message>
        <source>Set monthly cap…</source>
        <translation>Monatliche Obergrenze setzen …</translation>
    </message>
    <message>
        <source>Revoke…</source>
        <translation>Widerrufen …</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Löschen …</translation>
    </message>
    <message>
        <source>Show requests</source>
        <translation>Anfragen zeigen</translation>
    </message>
    <message>
        <source>Filter keys</source>
        <translation>Schlüssel filtern</translation>
    </message>
    <message>
        <source>(service key)</source>
        <translation>(Dienstschlüssel)</translation>
    </message>
    <message>
        <source>Key %1 created.</source>
        <translation>Schlüssel %1 erstellt.</translation>
    </message>
    <message>
        <source>Select one key.</source>
        <translation>Bitte einen Schlüssel auswählen.</translation>
    </message>
    <message>
        <source>Monthly cap of %1, in dollars (empty: no cap):</source>
        <translation>Monatliche Obergrenze von %1, in Dollar (leer: keine):</translation>
    </message>
    <message>
        <source>monthly cap</source>
        <translation>monatliche Obergrenze</translation>
    </message>
    <message>
        <source>Nothing changed: %1</source>
        <translation>Nichts geändert: %1</translation>
    </message>
    <message>
        <source>Cap of %1 saved.</source>
        <translation>Obergrenze von %1 gespeichert.</translation>
    </message>
    <message>
        <source>Revoke keys</source>
        <translation>Schlüssel widerrufen</translation>
    </message>
    <message numerus="yes">
        <source>Revoke %n key(s)? Requests with them are refused from now on.</source>
        <translation>
            <numerusform>%n Schlüssel widerrufen? Anfragen damit werden ab sofort abgelehnt.</numerusform>
            <numerusform>%n Schlüssel widerrufen? Anfragen damit werden ab sofort abgelehnt.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n key(s) revoked.</source>
        <translation>
            <numerusform>%n Schlüssel widerrufen.</numerusform>
            <numerusform>%n Schlüssel widerrufen.</numerusform>
        </translation>
    </message>
    <message>
        <source>Delete keys</source>
        <translation>Schlüssel löschen</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n key(s)? Their usage records stay.</source>
        <translation>
            <numerusform>%n Schlüssel löschen? Die Nutzungsdaten bleiben erhalten.</numerusform>
            <numerusform>%n Schlüssel löschen? Die Nutzungsdaten bleiben erhalten.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n key(s) deleted.</source>
        <translation>
            <numerusform>%n Schlüssel gelöscht.</numerusform>
            <numerusform>%n Schlüssel gelöscht.</numerusform>
        </translation>
    </message>
    <message>
        <source>Customer limits…</source>
        <translation>Kundengrenzen …</translation>
    </message>
    <message>
        <source>Requests with %1 may set the budgets, rate limit and markup of end customers (customer_params).

Take that away? They may still name and describe customers.</source>
        <translation>Anfragen mit %1 dürfen Budgets, Ratenlimit und Aufschlag von Endkunden setzen (customer_params).

Das entziehen? Kunden benennen und beschreiben dürfen sie weiterhin.</translation>
    </message>
    <message>
        <source>Requests with %1 may name and describe end customers (customer_params), but not set their limits.

Let them set the budgets, rate limit and markup of customers whose limits an admin has not locked?</source>
        <translation>Anfragen mit %1 dürfen Endkunden benennen und beschreiben (customer_params), aber nicht ihre Grenzen setzen.

Sollen sie Budgets, Ratenlimit und Aufschlag von Kunden setzen dürfen, deren Grenzen kein Admin gesperrt hat?</translation>
    </message>
    <message>
        <source>Customer limits</source>
        <translation>Kundengrenzen</translation>
    </message>
    <message>
        <source>%1 may no longer set customer limits.</source>
        <translation>%1 darf keine Kundengrenzen mehr setzen.</translation>
    </message>
    <message>
        <source>%1 may set customer limits.</source>
        <translation>%1 darf Kundengrenzen setzen.</translation>
    </message>
    <message>
        <source>No API keys yet: New key… makes one.</source>
        <translation>Noch keine API-Schlüssel: Neuer Schlüssel … erstellt einen.</translation>
    </message>
    <message>
        <source>No key matches the filter.</source>
        <translation>Kein Schlüssel passt zum Filter.</translation>
    </message>
</context>
<context>
    <name>tollgate::LimitUse</name>
    <message>
        <source>user</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>group</source>
        <translation>Gruppe</translation>
    </message>
    <message>
        <source>key</source>
        <translation>Schlüssel</translation>
    </message>
</context>
<context>
    <name>tollgate::Main</name>
    <message>
        <source>Organization:   %1 (%2)</source>
        <translation>Organisation:   %1 (%2)</translation>
    </message>
    <message>
        <source>Database:       %1</source>
        <translation>Datenbank:      %1</translation>
    </message>
    <message>
        <source>Users:          %1</source>
        <translation>Benutzer:       %1</translation>
    </message>
    <message>
        <source>Groups:         %1</source>
        <translation>Gruppen:        %1</translation>
    </message>
    <message>
        <source>Projects:       %1</source>
        <translation>Projekte:       %1</translation>
    </message>
    <message>
        <source>API keys:       %1</source>
        <translation>API-Schlüssel:  %1</translation>
    </message>
    <message>
        <source>Customers:      %1</source>
        <translation>Kunden:         %1</translation>
    </message>
    <message>
        <source>Models:         %1</source>
        <translation>Modelle:        %1</translation>
    </message>
    <message>
        <source>Usage records:  %1</source>
        <translation>Nutzungsdaten:  %1</translation>
    </message>
    <message>
        <source>Loaded the demo organisation: %1 users, %2 groups, %3 keys, %4 customers, %5 usage records.</source>
        <translation>Demo-Organisation geladen: %1 Benutzer, %2 Gruppen, %3 Schlüssel, %4 Kunden, %5 Nutzungsdatensätze.</translation>
    </message>
    <message>
        <source>A demo API key (shown once): %1</source>
        <translation>Ein Demo-API-Schlüssel (nur einmal angezeigt): %1</translation>
    </message>
    <message>
        <source>tollgate: mock provider listening on http://%1:%2</source>
        <translation>tollgate: simulierter Anbieter lauscht auf http://%1:%2</translation>
    </message>
    <message>
        <source>Try &apos;tollgate --help&apos;.</source>
        <translation>Siehe „tollgate --help“.</translation>
    </message>
    <message>
        <source>tollgate: the console is already running; brought it to the front</source>
        <translation>tollgate: die Konsole läuft bereits; sie wurde nach vorn geholt</translation>
    </message>
    <message>
        <source>tollgate: a second launch cannot find this console: %1</source>
        <translation>tollgate: ein zweiter Start kann diese Konsole nicht finden: %1</translation>
    </message>
    <message>
        <source>tollgate: TOLLGATE_ADMIN_KEY is not used: it only becomes the owner key of a database that has no admin key yet</source>
        <translation>tollgate: TOLLGATE_ADMIN_KEY wird nicht verwendet: er wird nur Eigentümer-Schlüssel einer Datenbank, die noch keinen Admin-Schlüssel hat</translation>
    </message>
    <message>
        <source>Created the owner admin key for the admin API (shown once; keep it safe): %1</source>
        <translation>Admin-Schlüssel des Eigentümers für die Admin-API erstellt (nur einmal angezeigt; sicher aufbewahren): %1</translation>
    </message>
    <message>
        <source>tollgate: gateway listening on %1</source>
        <translation>tollgate: Gateway lauscht auf %1</translation>
    </message>
    <message>
        <source>tollgate: admin API on %1</source>
        <translation>tollgate: Admin-API unter %1</translation>
    </message>
    <message>
        <source>tollgate: stopping; finishing the requests under way</source>
        <translation>tollgate: wird beendet; laufende Anfragen werden abgeschlossen</translation>
    </message>
    <message>
        <source>tollgate: wrote the pages to %1</source>
        <translation>tollgate: Seiten nach %1 geschrieben</translation>
    </message>
    <message>
        <source>Gateway listening on %1</source>
        <translation>Gateway lauscht auf %1</translation>
    </message>
    <message>
        <source>Gateway not running: %1</source>
        <translation>Gateway läuft nicht: %1</translation>
    </message>
    <message>
        <source>Gateway stopped</source>
        <translation>Gateway angehalten</translation>
    </message>
    <message>
        <source>cannot replay the usage journal: %1</source>
        <translation>Das Nutzungsjournal kann nicht wieder eingespielt werden: %1</translation>
    </message>
    <message numerus="yes">
        <source>tollgate: %n provider secret(s) encrypted under the new key %1 in %2; copy that file to every instance that shares this database, and back it up</source>
        <translation>
            <numerusform>tollgate: %n Anbieter-Geheimnis mit dem neuen Schlüssel %1 in %2 verschlüsselt; kopieren Sie diese Datei zu jeder Instanz, die diese Datenbank teilt, und sichern Sie sie</numerusform>
            <numerusform>tollgate: %n Anbieter-Geheimnisse mit dem neuen Schlüssel %1 in %2 verschlüsselt; kopieren Sie diese Datei zu jeder Instanz, die diese Datenbank teilt, und sichern Sie sie</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>tollgate::MainWindow</name>
    <message>
        <source>Tollgate</source>
        <translation>Tollgate</translation>
    </message>
    <message>
        <source>key %1</source>
        <translation>Schlüssel %1</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>&amp;Close Window</source>
        <translation>Fenster &amp;schließen</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Rückgängig</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Wiederholen</translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation>&amp;Gehe zu</translation>
    </message>
    <message>
        <source>Owner admin key</source>
        <translation>Admin-Schlüssel des Eigentümers</translation>
    </message>
    <message>
        <source>Welcome to Tollgate. Your organisation&apos;s database was created at %1. To use another one (a file or a PostgreSQL server), open Settings.</source>
        <translation>Willkommen bei Tollgate. Die Datenbank Ihrer Organisation wurde unter %1 angelegt. Um eine andere zu verwenden (eine Datei oder einen PostgreSQL-Server), öffnen Sie die Einstellungen.</translation>
    </message>
    <message>
        <source>&lt;p&gt;Tollgate created an owner key for its admin API. It is shown &lt;b&gt;only now&lt;/b&gt;: copy it to a safe place.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Tollgate hat einen Eigentümer-Schlüssel für seine Admin-API erstellt. Er wird &lt;b&gt;nur jetzt&lt;/b&gt; angezeigt: Kopieren Sie ihn an einen sicheren Ort.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Scripts send it as &lt;code&gt;Authorization: Bearer &amp;lt;key&amp;gt;&lt;/code&gt; to &lt;code&gt;%1&lt;/code&gt;.</source>
        <translation>Skripte senden ihn als &lt;code&gt;Authorization: Bearer &amp;lt;Schlüssel&amp;gt;&lt;/code&gt; an &lt;code&gt;%1&lt;/code&gt;.</translation>
    </message>
</context>
<context>
    <name>tollgate::MembershipCommand</name>
    <message numerus="yes">
        <source>Add %n user(s) to %1</source>
        <translation>
            <numerusform>%n Benutzer zu %1 hinzufügen</numerusform>
            <numerusform>%n Benutzer zu %1 hinzufügen</numerusform>
        </translation>
    </message>
    <message>
        <source>Already in %1.</source>
        <translation>Bereits in %1.</translation>
    </message>
    <message numerus="yes">
        <source>Remove %n user(s) from %1</source>
        <translation>
            <numerusform>%n Benutzer aus %1 entfernen</numerusform>
            <numerusform>%n Benutzer aus %1 entfernen</numerusform>
        </translation>
    </message>
    <message>
        <source>Not in %1.</source>
        <translation>Nicht in %1.</translation>
    </message>
    <message numerus="yes">
        <source>Move %n user(s) from %1 to %2</source>
        <translation>
            <numerusform>%n Benutzer von %1 nach %2 verschieben</numerusform>
            <numerusform>%n Benutzer von %1 nach %2 verschieben</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 fehlgeschlagen: %2</translation>
    </message>
    <message>
        <source>%1 %2 → %3</source>
        <translation>%1 %2 → %3</translation>
    </message>
    <message numerus="yes">
        <source>and %n more user(s)</source>
        <translation>
            <numerusform>und %n weiterer Benutzer</numerusform>
            <numerusform>und %n weitere Benutzer</numerusform>
        </translation>
    </message>
    <message>
        <source>This changes limits in force:

%1

Go ahead?</source>
        <translation>Das ändert geltende Grenzen:

%1

Fortfahren?</translation>
    </message>
</context>
<context>
    <name>tollgate::MessageBanner</name>
    <message>
        <source>Dismiss</source>
        <translation>Schließen</translation>
    </message>
</context>
<context>
    <name>tollgate::PoliciesPage</name>
    <message>
        <source>Policies</source>
        <translation>Richtlinien</translation>
    </message>
    <message>
        <source>Organisation defaults</source>
        <translation>Vorgaben der Organisation</translation>
    </message>
    <message>
        <source>Group settings</source>
        <translation>Gruppeneinstellungen</translation>
    </message>
    <message>
        <source>User override</source>
        <translation>Ausnahme für einen Benutzer</translation>
    </message>
    <message>
        <source>Type a user&apos;s email and press Enter</source>
        <translation>E-Mail eines Benutzers eingeben und Eingabe drücken</translation>
    </message>
    <message>
        <source>Remove override</source>
        <translation>Ausnahme entfernen</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>Verwerfen</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>Override removed: the user gets what their groups and the organisation set.</source>
        <translation>Ausnahme entfernt: Für den Benutzer gilt, was seine Gruppen und die Organisation festlegen.</translation>
    </message>
    <message>
        <source>The policy has unsaved changes. Save them?</source>
        <translation>Die Richtlinie hat ungespeicherte Änderungen. Speichern?</translation>
    </message>
    <message>
        <source>No user has the email %1.</source>
        <translation>Kein Benutzer hat die E-Mail %1.</translation>
    </message>
    <message>
        <source>Defaults for everyone in %1. Effective values: for a user in no group without an override of their own.</source>
        <translation>Vorgaben für alle in %1. Wirksame Werte: für einen Benutzer ohne Gruppe und ohne eigene Ausnahme.</translation>
    </message>
    <message>
        <source>Settings of group %1, for its members and its subgroups&apos; members. Effective values: for a member of just this group without an override.</source>
        <translation>Einstellungen der Gruppe %1, für ihre Mitglieder und die ihrer Untergruppen. Wirksame Werte: für ein Mitglied nur dieser Gruppe ohne Ausnahme.</translation>
    </message>
    <message>
        <source>Override for %1 &lt;%2&gt;. It wins over every group and the organisation; the effective values are what the gateway enforces for this user.</source>
        <translation>Ausnahme für %1 &lt;%2&gt;. Sie geht jeder Gruppe und der Organisation vor; die wirksamen Werte setzt das Gateway für diesen Benutzer durch.</translation>
    </message>
    <message>
        <source>Choose a group.</source>
        <translation>Bitte eine Gruppe wählen.</translation>
    </message>
    <message>
        <source>Choose a user.</source>
        <translation>Bitte einen Benutzer wählen.</translation>
    </message>
    <message>
        <source>Unsaved changes; the effective values show them as if saved.</source>
        <translation>Ungespeicherte Änderungen; die wirksamen Werte zeigen sie, als wären sie gespeichert.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Nicht gespeichert: %1</translation>
    </message>
    <message>
        <source>the group no longer exists</source>
        <translation>die Gruppe gibt es nicht mehr</translation>
    </message>
    <message>
        <source>Not saved: someone else changed this policy since it was opened. Revert to see their change, then make yours again.</source>
        <translation>Nicht gespeichert: Jemand anderes hat diese Richtlinie seit dem Öffnen geändert. Verwerfen, um die Änderung zu sehen, dann die eigene erneut vornehmen.</translation>
    </message>
    <message>
        <source>Saved. The gateway applies it from the next request.</source>
        <translation>Gespeichert. Das Gateway wendet es ab der nächsten Anfrage an.</translation>
    </message>
</context>
<context>
    <name>tollgate::Policy</name>
    <message>
        <source>Daily cost limit</source>
        <translation>Tägliches Kostenlimit</translation>
    </message>
    <message>
        <source>Monthly cost limit</source>
        <translation>Monatliches Kostenlimit</translation>
    </message>
    <message>
        <source>Daily token limit</source>
        <translation>Tägliches Tokenlimit</translation>
    </message>
    <message>
        <source>Monthly token limit</source>
        <translation>Monatliches Tokenlimit</translation>
    </message>
    <message>
        <source>Requests per minute</source>
        <translation>Anfragen pro Minute</translation>
    </message>
    <message>
        <source>Requests per hour</source>
        <translation>Anfragen pro Stunde</translation>
    </message>
    <message>
        <source>Requests per day</source>
        <translation>Anfragen pro Tag</translation>
    </message>
    <message>
        <source>Maximum model tier</source>
        <translation>Höchste Modellstufe</translation>
    </message>
    <message>
        <source>not limited at any level</source>
        <translation>auf keiner Ebene begrenzt</translation>
    </message>
    <message>
        <source>bypassed for user %1</source>
        <translation>umgangen für Benutzer %1</translation>
    </message>
    <message>
        <source>user %1</source>
        <translation>Benutzer %1</translation>
    </message>
    <message>
        <source>group %1 (inherited from %2)</source>
        <translation>Gruppe %1 (geerbt von %2)</translation>
    </message>
    <message>
        <source>group %1</source>
        <translation>Gruppe %1</translation>
    </message>
    <message>
        <source>organization %1</source>
        <translation>Organisation %1</translation>
    </message>
    <message>
        <source>model %1 is blocked by %2</source>
        <translation>Modell %1 ist gesperrt durch %2</translation>
    </message>
    <message>
        <source>model %1 is not in the models allowed by %2</source>
        <translation>Modell %1 gehört nicht zu den Modellen, die %2 erlaubt</translation>
    </message>
    <message>
        <source>model %1 is tier %2, above the maximum tier %3 set by %4</source>
        <translation>Modell %1 hat Stufe %2, über der höchsten Stufe %3, festgelegt von %4</translation>
    </message>
    <message>
        <source>API key %1</source>
        <translation>API-Schlüssel %1</translation>
    </message>
    <message>
        <source>project %1</source>
        <translation>Projekt %1</translation>
    </message>
    <message>
        <source>customer %1</source>
        <translation>Kunde %1</translation>
    </message>
</context>
<context>
    <name>tollgate::PolicyForm</name>
    <message>
        <source>dollars, e.g. 50 or 12.50</source>
        <translation>Dollar, z. B. 50 oder 12.50</translation>
    </message>
    <message>
        <source>1 (cheapest) to 10</source>
        <translation>1 (am günstigsten) bis 10</translation>
    </message>
    <message>
        <source>a whole number</source>
        <translation>eine ganze Zahl</translation>
    </message>
    <message>
        <source>Limits</source>
        <translation>Limits</translation>
    </message>
    <message>
        <source>Set here</source>
        <translation>Hier festgelegt</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>Effective value and where it comes from</source>
        <translation>Wirksamer Wert und seine Herkunft</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modelle</translation>
    </message>
    <message>
        <source>Allowed models:</source>
        <translation>Erlaubte Modelle:</translation>
    </message>
    <message>
        <source>Blocked models:</source>
        <translation>Gesperrte Modelle:</translation>
    </message>
    <message>
        <source>Bypass (this user only)</source>
        <translation>Umgehen (nur dieser Benutzer)</translation>
    </message>
    <message>
        <source>Bypass cost and token limits</source>
        <translation>Kosten- und Tokenlimits umgehen</translation>
    </message>
    <message>
        <source>Bypass rate limits</source>
        <translation>Ratenlimits umgehen</translation>
    </message>
    <message>
        <source>Bypass model restrictions (allowed and blocked lists, maximum tier)</source>
        <translation>Modellbeschränkungen umgehen (erlaubte und gesperrte Listen, höchste Stufe)</translation>
    </message>
    <message>
        <source>⚠ A bypass lifts the limits of every level (the organisation&apos;s and every group&apos;s) for this user. Group and organisation budgets still count the spend.</source>
        <translation>⚠ Ein Umgehen hebt für diesen Benutzer die Limits jeder Ebene auf (die der Organisation und jeder Gruppe). Gruppen- und Organisationsbudgets zählen die Ausgaben trotzdem.</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Notizen</translation>
    </message>
    <message>
        <source>Why these settings (shown in the audit log)</source>
        <translation>Warum diese Einstellungen (im Prüfprotokoll sichtbar)</translation>
    </message>
    <message>
        <source>Inherit</source>
        <translation>Erben</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>Limit</translation>
    </message>
    <message>
        <source>Unlimited</source>
        <translation>Unbegrenzt</translation>
    </message>
    <message>
        <source>Only the models ticked</source>
        <translation>Nur die angehakten Modelle</translation>
    </message>
    <message>
        <source>The models ticked</source>
        <translation>Die angehakten Modelle</translation>
    </message>
    <message>
        <source>Any model</source>
        <translation>Jedes Modell</translation>
    </message>
    <message>
        <source>%1 (tier %2)</source>
        <translation>%1 (Stufe %2)</translation>
    </message>
    <message>
        <source>Allowed models: tick at least one model, or choose Inherit or Any model</source>
        <translation>Erlaubte Modelle: mindestens ein Modell anhaken oder Erben bzw. Jedes Modell wählen</translation>
    </message>
    <message>
        <source>type a value, or choose Inherit or Unlimited</source>
        <translation>einen Wert eingeben oder Erben bzw. Unbegrenzt wählen</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>kein Limit</translation>
    </message>
    <message>
        <source>any model</source>
        <translation>jedes Modell</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>not set at any level</source>
        <translation>auf keiner Ebene festgelegt</translation>
    </message>
    <message>
        <source>A list set here replaces the inherited one: it starts as the inherited list, so tick to add and untick to remove.</source>
        <translation>Eine hier gesetzte Liste ersetzt die geerbte: Sie beginnt als die geerbte Liste, also zum Hinzufügen ankreuzen und zum Entfernen das Kreuz entfernen.</translation>
    </message>
</context>
<context>
    <name>tollgate::PriceImportDialog</name>
    <message>
        <source>Context window (tokens)</source>
        <translation>Kontextfenster (Token)</translation>
    </message>
    <message>
        <source>Maximum output tokens</source>
        <translation>Höchstzahl Ausgabe-Token</translation>
    </message>
    <message>
        <source>Long-context tier above (tokens)</source>
        <translation>Stufe für langen Kontext ab (Token)</translation>
    </message>
    <message>
        <source>Most tokens one image costs</source>
        <translation>Höchstens Token je Bild</translation>
    </message>
    <message>
        <source>Update prices from %1</source>
        <translation>Preise aus %1 aktualisieren</translation>
    </message>
    <message>
        <source>Add the file&apos;s models the catalog does not have (unapproved until you approve them)</source>
        <translation>Modelle der Datei hinzufügen, die der Katalog nicht hat (nicht freigegeben, bis Sie sie freigeben)</translation>
    </message>
    <message>
        <source>Remove the models the file does not list</source>
        <translation>Die Modelle entfernen, die die Datei nicht aufführt</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>Preis</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>Jetzt</translation>
    </message>
    <message>
        <source>From the file</source>
        <translation>Aus der Datei</translation>
    </message>
    <message>
        <source>Apply changes</source>
        <translation>Änderungen anwenden</translation>
    </message>
    <message>
        <source>%1 cannot be read as a price file: %2</source>
        <translation>%1 kann nicht als Preisdatei gelesen werden: %2</translation>
    </message>
    <message>
        <source>The catalog already has every price in %1 (%2 models agree).</source>
        <translation>Der Katalog hat bereits jeden Preis aus %1 (%2 Modelle stimmen überein).</translation>
    </message>
    <message>
        <source>%1 would make %2 changes to %3 models and remove %4; %5 models agree already. Prices that follow a default (cache writes, the long-context tier) move with the price they follow. Nothing changes until you apply.</source>
        <translation>%1 würde %2 Änderungen an %3 Modellen vornehmen und %4 entfernen; %5 Modelle stimmen bereits überein. Preise, die einem Standard folgen (Cache-Schreiben, die Stufe für langen Kontext), ändern sich mit dem Preis, dem sie folgen. Nichts ändert sich, bevor Sie anwenden.</translation>
    </message>
    <message>
        <source>new model</source>
        <translation>neues Modell</translation>
    </message>
    <message>
        <source>removed</source>
        <translation>entfernt</translation>
    </message>
    <message>
        <source>Not applied: %1</source>
        <translation>Nicht angewendet: %1</translation>
    </message>
</context>
<context>
    <name>tollgate::ProjectsPage</name>
    <message>
        <source>Projects</source>
        <translation>Projekte</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <source>shared</source>
        <translation>gemeinsam</translation>
    </message>
    <message>
        <source>private to %1</source>
        <translation>privat für %1</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>Dieser Monat</translation>
    </message>
    <message>
        <source>Monthly limit</source>
        <translation>Monatslimit</translation>
    </message>
    <message>
        <source>New project…</source>
        <translation>Neues Projekt …</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Bearbeiten …</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Löschen …</translation>
    </message>
    <message>
        <source>Filter projects</source>
        <translation>Projekte filtern</translation>
    </message>
    <message>
        <source>Edit project</source>
        <translation>Projekt bearbeiten</translation>
    </message>
    <message>
        <source>New project</source>
        <translation>Neues Projekt</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>Monthly limit ($):</source>
        <translation>Monatslimit ($):</translation>
    </message>
    <message>
        <source>empty: no limit</source>
        <translation>leer: kein Limit</translation>
    </message>
    <message>
        <source>Every request made with a key of the project counts against its limit.</source>
        <translation>Jede Anfrage mit einem Schlüssel des Projekts zählt gegen sein Limit.</translation>
    </message>
    <message>
        <source>Project saved.</source>
        <translation>Projekt gespeichert.</translation>
    </message>
    <message>
        <source>Select one project.</source>
        <translation>Bitte ein Projekt auswählen.</translation>
    </message>
    <message>
        <source>Delete project</source>
        <translation>Projekt löschen</translation>
    </message>
    <message>
        <source>Delete the project %1?</source>
        <translation>Das Projekt %1 löschen?</translation>
    </message>
    <message>
        <source>Project %1 deleted.</source>
        <translation>Projekt %1 gelöscht.</translation>
    </message>
    <message>
        <source>No projects yet: New project… makes one.</source>
        <translation>Noch keine Projekte: Neues Projekt … erstellt eines.</translation>
    </message>
    <message>
        <source>No project matches the filter.</source>
        <translation>Kein Projekt passt zum Filter.</translation>
    </message>
</context>
<context>
    <name>tollgate::ReparentCommand</name>
    <message>
        <source>the group no longer exists</source>
        <translation>die Gruppe gibt es nicht mehr</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 fehlgeschlagen: %2</translation>
    </message>
</context>
<context>
    <name>tollgate::RequestLogPage</name>
    <message>
        <source>Request Log</source>
        <translation>Anfrageprotokoll</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>Kunde</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Tokens in/out</source>
        <translation>Token ein/aus</translation>
    </message>
    <message>
        <source>Cost</source>
        <translation>Kosten</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>Latenz</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>user email</source>
        <translation>E-Mail des Benutzers</translation>
    </message>
    <message>
        <source>Any status</source>
        <translation>Jeder Status</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Anzeigen</translation>
    </message>
    <message>
        <source>from</source>
        <translation>von</translation>
    </message>
    <message>
        <source>to</source>
        <translation>bis</translation>
    </message>
    <message>
        <source>Select a request to see its details and the decision explained.</source>
        <translation>Eine Anfrage auswählen, um ihre Details und die erklärte Entscheidung zu sehen.</translation>
    </message>
    <message>
        <source>Any key</source>
        <translation>Jeder Schlüssel</translation>
    </message>
    <message>
        <source>Any model</source>
        <translation>Jedes Modell</translation>
    </message>
    <message>
        <source>Any customer</source>
        <translation>Jeder Kunde</translation>
    </message>
    <message>
        <source>No user has the email %1.</source>
        <translation>Kein Benutzer hat die E-Mail %1.</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Request %1&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Anfrage %1&lt;/h3&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;%1 · &lt;b&gt;%2&lt;/b&gt; · %3 · %4 input (%5 cached) / %6 output tokens · &lt;b&gt;%7&lt;/b&gt;%8%9&lt;/p&gt;</source>
        <translation>&lt;p&gt;%1 · &lt;b&gt;%2&lt;/b&gt; · %3 · %4 Eingabe- (%5 zwischengespeichert) / %6 Ausgabe-Token · &lt;b&gt;%7&lt;/b&gt;%8%9&lt;/p&gt;</translation>
    </message>
    <message>
        <source> · streamed</source>
        <translation> · gestreamt</translation>
    </message>
    <message>
        <source> · charged its estimate: the provider reported no usage</source>
        <translation> · nach Schätzung berechnet: der Anbieter meldete keine Nutzung</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Decision:&lt;/b&gt; %1&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Entscheidung:&lt;/b&gt; %1&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Decision:&lt;/b&gt; allowed within every limit in force.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Entscheidung:&lt;/b&gt; zugelassen, innerhalb jedes geltenden Limits.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;The same request now:&lt;/b&gt; %1&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Dieselbe Anfrage jetzt:&lt;/b&gt; %1&lt;/p&gt;</translation>
    </message>
    <message>
        <source>cost</source>
        <translation>Kosten</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>Tokens</translation>
    </message>
    <message>
        <source>requests</source>
        <translation>Anfragen</translation>
    </message>
    <message>
        <source>user</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>project</source>
        <translation>Projekt</translation>
    </message>
    <message>
        <source>group</source>
        <translation>Gruppe</translation>
    </message>
    <message>
        <source>organisation</source>
        <translation>Organisation</translation>
    </message>
    <message>
        <source>customer</source>
        <translation>Kunde</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nie</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Limits in force&lt;/b&gt; (the one that binds in bold):&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Geltende Limits&lt;/b&gt; (das bindende fett):&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>Limit</translation>
    </message>
    <message>
        <source>Set by</source>
        <translation>Festgelegt von</translation>
    </message>
    <message>
        <source>Limit value</source>
        <translation>Grenzwert</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>Verbraucht</translation>
    </message>
    <message>
        <source>Held now</source>
        <translation>Derzeit reserviert</translation>
    </message>
    <message>
        <source>Left</source>
        <translation>Übrig</translation>
    </message>
    <message>
        <source>Resets</source>
        <translation>Zurückgesetzt</translation>
    </message>
    <message>
        <source>%1, %2: %3 %4</source>
        <translation>%1, %2: %3 %4</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Model:&lt;/b&gt; asked for as %1, served and priced as %2 by %3&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Modell:&lt;/b&gt; angefragt als %1, bedient und berechnet als %2 durch %3&lt;/p&gt;</translation>
    </message>
    <message>
        <source> · estimated: the stream ended without the provider&apos;s final usage (charged what was streamed)</source>
        <translation> · geschätzt: der Stream endete ohne die abschließende Nutzungsangabe des Anbieters (berechnet wurde, was gestreamt wurde)</translation>
    </message>
    <message>
        <source> · estimated: charged what was streamed</source>
        <translation> · geschätzt: berechnet wurde, was gestreamt wurde</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>billed at the long-context tier</source>
        <translation>zur Stufe für langen Kontext berechnet</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Billed as:&lt;/b&gt; %1&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Berechnet als:&lt;/b&gt; %1&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Follow new requests</source>
        <translation>Neuen Anfragen folgen</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>Alle zeigen</translation>
    </message>
    <message>
        <source>Only requests for %1</source>
        <translation>Nur Anfragen für %1</translation>
    </message>
    <message>
        <source>times in %1</source>
        <translation>Zeiten in %1</translation>
    </message>
    <message numerus="yes">
        <source>Only requests for %1: %n request(s)</source>
        <translation>
            <numerusform>Nur Anfragen für %1: %n Anfrage</numerusform>
            <numerusform>Nur Anfragen für %1: %n Anfragen</numerusform>
        </translation>
    </message>
    <message>
        <source>No requests match these filters in this time range.</source>
        <translation>Keine Anfragen passen zu diesen Filtern in diesem Zeitraum.</translation>
    </message>
</context>
<context>
    <name>tollgate::SecretDialog</name>
    <message>
        <source>API key created</source>
        <translation>API-Schlüssel erstellt</translation>
    </message>
    <message>
        <source>&lt;p&gt;The key &lt;b&gt;%1&lt;/b&gt; was created. Its secret is shown &lt;b&gt;only now&lt;/b&gt;: copy it to where it will be used. Tollgate keeps only a hash of it.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Der Schlüssel &lt;b&gt;%1&lt;/b&gt; wurde erstellt. Sein Geheimnis wird &lt;b&gt;nur jetzt&lt;/b&gt; angezeigt: bitte dorthin kopieren, wo er verwendet wird. Tollgate speichert nur einen Hash davon.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>Kopiert</translation>
    </message>
    <message>
        <source>Clients use it with the base URL &lt;code&gt;%1/v1&lt;/code&gt;.</source>
        <translation>Clients verwenden ihn mit der Basis-URL &lt;code&gt;%1/v1&lt;/code&gt;.</translation>
    </message>
</context>
<context>
    <name>tollgate::SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Organisation</source>
        <translation>Organisation</translation>
    </message>
    <message>
        <source>dollars; empty: no organisation budget</source>
        <translation>Dollar; leer: kein Budget der Organisation</translation>
    </message>
    <message>
        <source>When a request does not fit the limit left, send it with a lower max_tokens instead of refusing it</source>
        <translation>Passt eine Anfrage nicht in das verbleibende Limit, sie mit niedrigerem max_tokens senden statt sie abzulehnen</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>Time zone:</source>
        <translation>Zeitzone:</translation>
    </message>
    <message>
        <source>Monthly budget ($):</source>
        <translation>Monatsbudget ($):</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>This computer</source>
        <translation>Dieser Computer</translation>
    </message>
    <message>
        <source>Start Tollgate at login, in the tray</source>
        <translation>Tollgate bei der Anmeldung im Infobereich starten</translation>
    </message>
    <message>
        <source>empty: the embedded database in your data folder; or a file path, or postgresql://user:password@host:5432/name</source>
        <translation>leer: die eingebaute Datenbank im Datenordner; oder ein Dateipfad, oder postgresql://benutzer:passwort@host:5432/name</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>Sprache:</translation>
    </message>
    <message>
        <source>Database:</source>
        <translation>Datenbank:</translation>
    </message>
    <message>
        <source>In use: %1 · %2 usage records</source>
        <translation>In Gebrauch: %1 · %2 Nutzungsdatensätze</translation>
    </message>
    <message>
        <source>Not saved: the database: %1</source>
        <translation>Nicht gespeichert: die Datenbank: %1</translation>
    </message>
    <message>
        <source>Not saved: start at login: %1</source>
        <translation>Nicht gespeichert: Start bei der Anmeldung: %1</translation>
    </message>
    <message>
        <source>Saved. The language and the database apply when Tollgate starts again.</source>
        <translation>Gespeichert. Sprache und Datenbank gelten beim nächsten Start von Tollgate.</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Gespeichert.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Nicht gespeichert: %1</translation>
    </message>
    <message>
        <source>Not saved: %1 %2</source>
        <translation>Nicht gespeichert: %1 %2</translation>
    </message>
</context>
<context>
    <name>tollgate::TrayController</name>
    <message>
        <source>Gateway not started</source>
        <translation>Gateway nicht gestartet</translation>
    </message>
    <message>
        <source>Open console</source>
        <translation>Konsole öffnen</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
    <message>
        <source>No gateway</source>
        <translation>Kein Gateway</translation>
    </message>
    <message>
        <source>Gateway running at %1 · %2 requests/s</source>
        <translation>Gateway läuft unter %1 · %2 Anfragen/s</translation>
    </message>
    <message>
        <source>Gateway stopped</source>
        <translation>Gateway angehalten</translation>
    </message>
    <message>
        <source>Stop gateway</source>
        <translation>Gateway anhalten</translation>
    </message>
    <message>
        <source>Start gateway</source>
        <translation>Gateway starten</translation>
    </message>
    <message>
        <source>Tollgate — %1</source>
        <translation>Tollgate — %1</translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <source>%1 has reached its monthly limit: %2 of %3.</source>
        <translation>%1 hat das Monatslimit erreicht: %2 von %3.</translation>
    </message>
    <message>
        <source>%1 has used %2 % of its monthly limit: %3 of %4.</source>
        <translation>%1 hat %2 % des Monatslimits genutzt: %3 von %4.</translation>
    </message>
    <message>
        <source>Limit reached</source>
        <translation>Limit erreicht</translation>
    </message>
    <message>
        <source>Limit nearly reached</source>
        <translation>Limit fast erreicht</translation>
    </message>
</context>
<context>
    <name>tollgate::Usage</name>
    <message>
        <source>must be after from</source>
        <translation>muss nach dem Beginn liegen</translation>
    </message>
    <message>
        <source>must not be negative</source>
        <translation>darf nicht negativ sein</translation>
    </message>
    <message>
        <source>group %1 does not exist</source>
        <translation>die Gruppe %1 gibt es nicht</translation>
    </message>
    <message>
        <source>must be day, week or month</source>
        <translation>muss Tag, Woche oder Monat sein</translation>
    </message>
    <message>
        <source>the range holds more than %1 buckets; choose a coarser granularity or a shorter range</source>
        <translation>der Zeitraum umfasst mehr als %1 Abschnitte; bitte eine gröbere Einteilung oder einen kürzeren Zeitraum wählen</translation>
    </message>
    <message>
        <source>(deleted user %1)</source>
        <translation>(gelöschter Benutzer %1)</translation>
    </message>
    <message>
        <source>(no user)</source>
        <translation>(kein Benutzer)</translation>
    </message>
    <message>
        <source>(deleted key %1)</source>
        <translation>(gelöschter Schlüssel %1)</translation>
    </message>
    <message>
        <source>(deleted project %1)</source>
        <translation>(gelöschtes Projekt %1)</translation>
    </message>
    <message>
        <source>(no customer)</source>
        <translation>(kein Kunde)</translation>
    </message>
    <message>
        <source>must be user, group, key, project or customer</source>
        <translation>muss Benutzer, Gruppe, Schlüssel, Projekt oder Kunde sein</translation>
    </message>
</context>
<context>
    <name>tollgate::UserDialog</name>
    <message>
        <source>Edit user</source>
        <translation>Benutzer bearbeiten</translation>
    </message>
    <message>
        <source>New user</source>
        <translation>Neuer Benutzer</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Aktiv</translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation>Inaktiv</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>Email:</source>
        <translation>E-Mail:</translation>
    </message>
    <message>
        <source>Status:</source>
        <translation>Status:</translation>
    </message>
    <message>
        <source>default: %1</source>
        <translation>Standard: %1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>Monthly limit ($):</source>
        <translation>Monatslimit ($):</translation>
    </message>
    <message>
        <source>The name must not be empty.</source>
        <translation>Der Name darf nicht leer sein.</translation>
    </message>
    <message>
        <source>The email must look like name@example.org.</source>
        <translation>Die E-Mail muss wie name@example.org aussehen.</translation>
    </message>
    <message>
        <source>monthly limit</source>
        <translation>Monatslimit</translation>
    </message>
</context>
<context>
    <name>tollgate::UsersModel</name>
    <message>
        <source>Active</source>
        <translation>Aktiv</translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation>Inaktiv</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>%1 (no limit)</source>
        <translation>%1 (kein Limit)</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Email</source>
        <translation>E-Mail</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Groups</source>
        <translation>Gruppen</translation>
    </message>
    <message>
        <source>Spend this month</source>
        <translation>Ausgaben diesen Monat</translation>
    </message>
</context>
<context>
    <name>tollgate::UsersPage</name>
    <message>
        <source>Users</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Filter by name, email or group</source>
        <translation>Nach Name, E-Mail oder Gruppe filtern</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>Alle Status</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Aktiv</translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation>Inaktiv</translation>
    </message>
    <message>
        <source>New user…</source>
        <translation>Neuer Benutzer …</translation>
    </message>
    <message>
        <source>Add to group</source>
        <translation>Zu Gruppe hinzufügen</translation>
    </message>
    <message>
        <source>Remove from group</source>
        <translation>Aus der Gruppe entfernen</translation>
    </message>
    <message>
        <source>Set monthly limit…</source>
        <translation>Monatslimit setzen …</translation>
    </message>
    <message>
        <source>Activate</source>
        <translation>Aktivieren</translation>
    </message>
    <message>
        <source>Deactivate</source>
        <translation>Deaktivieren</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Löschen …</translation>
    </message>
    <message>
        <source>Default limit for new users…</source>
        <translation>Standardlimit für neue Benutzer …</translation>
    </message>
    <message>
        <source>Drop users on a group to add them to it</source>
        <translation>Benutzer auf eine Gruppe ziehen, um sie hinzuzufügen</translation>
    </message>
    <message numerus="yes">
        <source>%n user(s)</source>
        <translation>
            <numerusform>%n Benutzer</numerusform>
            <numerusform>%n Benutzer</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n user(s)</source>
        <translation>
            <numerusform>%1 von %n Benutzer</numerusform>
            <numerusform>%1 von %n Benutzern</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>, %n selected</source>
        <translation>
            <numerusform>, %n ausgewählt</numerusform>
            <numerusform>, %n ausgewählt</numerusform>
        </translation>
    </message>
    <message>
        <source>No groups yet</source>
        <translation>Noch keine Gruppen</translation>
    </message>
    <message>
        <source>Monthly limit</source>
        <translation>Monatslimit</translation>
    </message>
    <message numerus="yes">
        <source>Monthly spending limit for %n user(s), in dollars (empty: no personal limit):</source>
        <translation>
            <numerusform>Monatliches Ausgabenlimit für %n Benutzer, in Dollar (leer: kein persönliches Limit):</numerusform>
            <numerusform>Monatliches Ausgabenlimit für %n Benutzer, in Dollar (leer: kein persönliches Limit):</numerusform>
        </translation>
    </message>
    <message>
        <source>monthly limit</source>
        <translation>Monatslimit</translation>
    </message>
    <message>
        <source>Nothing changed: %1</source>
        <translation>Nichts geändert: %1</translation>
    </message>
    <message numerus="yes">
        <source>Setting the monthly limit of %n user(s)…</source>
        <translation>
            <numerusform>Monatslimit für %n Benutzer wird gesetzt …</numerusform>
            <numerusform>Monatslimit für %n Benutzer wird gesetzt …</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Monthly limit %1 set for %n user(s).</source>
        <translation>
            <numerusform>Monatslimit %1 für %n Benutzer gesetzt.</numerusform>
            <numerusform>Monatslimit %1 für %n Benutzer gesetzt.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Personal monthly limit removed for %n user(s).</source>
        <translation>
            <numerusform>Persönliches Monatslimit für %n Benutzer entfernt.</numerusform>
            <numerusform>Persönliches Monatslimit für %n Benutzer entfernt.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Activating %n user(s)…</source>
        <translation>
            <numerusform>%n Benutzer wird aktiviert …</numerusform>
            <numerusform>%n Benutzer werden aktiviert …</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deactivating %n user(s)…</source>
        <translation>
            <numerusform>%n Benutzer wird deaktiviert …</numerusform>
            <numerusform>%n Benutzer werden deaktiviert …</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n user(s) activated.</source>
        <translation>
            <numerusform>%n Benutzer aktiviert.</numerusform>
            <numerusform>%n Benutzer aktiviert.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n user(s) deactivated.</source>
        <translation>
            <numerusform>%n Benutzer deaktiviert.</numerusform>
            <numerusform>%n Benutzer deaktiviert.</numerusform>
        </translation>
    </message>
    <message>
        <source>Default monthly limit</source>
        <translation>Standard-Monatslimit</translation>
    </message>
    <message>
        <source>Monthly limit given to users created from now on, in dollars (empty: none):</source>
        <translation>Monatslimit für ab jetzt angelegte Benutzer, in Dollar (leer: keins):</translation>
    </message>
    <message>
        <source>default monthly limit</source>
        <translation>Standard-Monatslimit</translation>
    </message>
    <message>
        <source>New users get a monthly limit of %1.</source>
        <translation>Neue Benutzer erhalten ein Monatslimit von %1.</translation>
    </message>
    <message>
        <source>New users get no personal monthly limit.</source>
        <translation>Neue Benutzer erhalten kein persönliches Monatslimit.</translation>
    </message>
    <message>
        <source>User created.</source>
        <translation>Benutzer angelegt.</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Gespeichert.</translation>
    </message>
    <message>
        <source>Delete users</source>
        <translation>Benutzer löschen</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n user(s)? Their keys stop working; their usage records stay.</source>
        <translation>
            <numerusform>%n Benutzer löschen? Die Schlüssel funktionieren dann nicht mehr; die Nutzungsdaten bleiben erhalten.</numerusform>
            <numerusform>%n Benutzer löschen? Ihre Schlüssel funktionieren dann nicht mehr; die Nutzungsdaten bleiben erhalten.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleting %n user(s)…</source>
        <translation>
            <numerusform>%n Benutzer wird gelöscht …</numerusform>
            <numerusform>%n Benutzer werden gelöscht …</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n user(s) deleted.</source>
        <translation>
            <numerusform>%n Benutzer gelöscht.</numerusform>
            <numerusform>%n Benutzer gelöscht.</numerusform>
        </translation>
    </message>
    <message>
        <source>No users yet: New user… adds one.</source>
        <translation>Noch keine Benutzer: Neuer Benutzer … fügt einen hinzu.</translation>
    </message>
    <message>
        <source>Nobody matches the filter.</source>
        <translation>Niemand passt zum Filter.</translation>
    </message>
</context>
<context>
    <name>tollgate::UsersView</name>
    <message numerus="yes">
        <source>+%n users</source>
        <translation>
            <numerusform>+%n Benutzer</numerusform>
            <numerusform>+%n Benutzer</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>tollgate::Window</name>
    <message>
        <source>per minute</source>
        <translation>pro Minute</translation>
    </message>
    <message>
        <source>per hour</source>
        <translation>pro Stunde</translation>
    </message>
    <message>
        <source>daily</source>
        <translation>täglich</translation>
    </message>
    <message>
        <source>weekly</source>
        <translation>wöchentlich</translation>
    </message>
    <message>
        <source>monthly</source>
        <translation>monatlich</translation>
    </message>
    <message>
        <source>yearly</source>
        <translation>jährlich</translation>
    </message>
    <message>
        <source>custom period</source>
        <translation>eigener Zeitraum</translation>
    </message>
    <message>
        <source>lifetime</source>
        <translation>gesamt</translation>
    </message>
</context>
<context>
    <name>tollgate::dialogs</name>
    <message>
        <source>Unsaved changes</source>
        <translation>Ungespeicherte Änderungen</translation>
    </message>
</context>
<context>
    <name>tollgate::format</name>
    <message>
        <source>unlimited</source>
        <translation>unbegrenzt</translation>
    </message>
    <message>
        <source>%1 tokens</source>
        <translation>%1 Token</translation>
    </message>
    <message>
        <source>%1 requests</source>
        <translation>%1 Anfragen</translation>
    </message>
    <message>
        <source>tier %1</source>
        <translation>Stufe %1</translation>
    </message>
    <message>
        <source>must be a whole number</source>
        <translation>muss eine ganze Zahl sein</translation>
    </message>
    <message>
        <source>must be between %1 and %2</source>
        <translation>muss zwischen %1 und %2 liegen</translation>
    </message>
    <message>
        <source>must not be negative</source>
        <translation>darf nicht negativ sein</translation>
    </message>
    <message>
        <source>has more than one decimal separator &apos;%1&apos;</source>
        <translation>hat mehr als ein Dezimaltrennzeichen „%1“</translation>
    </message>
    <message>
        <source>a space</source>
        <translation>ein Leerzeichen</translation>
    </message>
    <message>
        <source>%1: write %2</source>
        <translation>%1: schreiben Sie %2</translation>
    </message>
    <message>
        <source>has a thousands separator %1 after the decimals</source>
        <translation>hat ein Tausendertrennzeichen %1 nach den Dezimalstellen</translation>
    </message>
    <message>
        <source>is not an amount: &apos;%1&apos;</source>
        <translation>ist kein Betrag: „%1“</translation>
    </message>
    <message>
        <source>cannot be read here: %1 separates the decimals and %2 the thousands</source>
        <translation>kann hier nicht gelesen werden: %1 trennt die Dezimalstellen und %2 die Tausender</translation>
    </message>
    <message>
        <source>cannot be read: %1 separates thousands here, so it must be followed by three digits</source>
        <translation>kann nicht gelesen werden: %1 trennt hier Tausender, also müssen drei Ziffern folgen</translation>
    </message>
</context>
<context>
    <name>tollgate::preferences</name>
    <message>
        <source>System language</source>
        <translation>Systemsprache</translation>
    </message>
    <message>
        <source>Windows did not accept the change to the Run key.</source>
        <translation>Windows hat die Änderung am Run-Schlüssel nicht angenommen.</translation>
    </message>
    <message>
        <source>Cannot remove %1.</source>
        <translation>%1 kann nicht entfernt werden.</translation>
    </message>
    <message>
        <source>Cannot create the folder of %1.</source>
        <translation>Der Ordner für %1 kann nicht angelegt werden.</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>LLM gateway and spending console, in the tray</source>
        <translation>LLM-Gateway und Ausgabenkonsole, im Infobereich</translation>
    </message>
</context>
<context>
    <name>tollgate::screenshots</name>
    <message>
        <source>cannot create the folder %1</source>
        <translation>der Ordner %1 kann nicht angelegt werden</translation>
    </message>
    <message>
        <source>cannot write %1</source>
        <translation>%1 kann nicht geschrieben werden</translation>
    </message>
</context>
</TS>
