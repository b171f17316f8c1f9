<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>tollgate::Catalog</name>
    <message>
        <source>Input</source>
        <translation>Entrée</translation>
    </message>
    <message>
        <source>Cached input (cache read)</source>
        <translation>Entrée en cache (lecture du cache)</translation>
    </message>
    <message>
        <source>Cache write (5 minutes)</source>
        <translation>Écriture en cache (5 minutes)</translation>
    </message>
    <message>
        <source>Cache write (1 hour)</source>
        <translation>Écriture en cache (1 heure)</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>Sortie</translation>
    </message>
    <message>
        <source>Reasoning output</source>
        <translation>Sortie de raisonnement</translation>
    </message>
    <message>
        <source>Audio input</source>
        <translation>Entrée audio</translation>
    </message>
    <message>
        <source>Audio output</source>
        <translation>Sortie audio</translation>
    </message>
    <message>
        <source>Image input</source>
        <translation>Entrée image</translation>
    </message>
    <message>
        <source>Long context: input</source>
        <translation>Contexte long : entrée</translation>
    </message>
    <message>
        <source>Long context: cached input</source>
        <translation>Contexte long : entrée en cache</translation>
    </message>
    <message>
        <source>Long context: cache write (5 minutes)</source>
        <translation>Contexte long : écriture en cache (5 minutes)</translation>
    </message>
    <message>
        <source>Long context: cache write (1 hour)</source>
        <translation>Contexte long : écriture en cache (1 heure)</translation>
    </message>
    <message>
        <source>Long context: output</source>
        <translation>Contexte long : sortie</translation>
    </message>
    <message>
        <source>Web search (per 1,000 searches)</source>
        <translation>Recherche web (pour 1 000 recherches)</translation>
    </message>
    <message>
        <source>Code execution (per 1,000 sessions)</source>
        <translation>Exécution de code (pour 1 000 sessions)</translation>
    </message>
    <message>
        <source>Reasoning tokens</source>
        <translation>Jetons de raisonnement</translation>
    </message>
    <message>
        <source>Cache-write tokens (5 minutes)</source>
        <translation>Jetons écrits en cache (5 minutes)</translation>
    </message>
    <message>
        <source>Cache-write tokens (1 hour)</source>
        <translation>Jetons écrits en cache (1 heure)</translation>
    </message>
    <message>
        <source>Audio input tokens</source>
        <translation>Jetons d&apos;entrée audio</translation>
    </message>
    <message>
        <source>Audio output tokens</source>
        <translation>Jetons de sortie audio</translation>
    </message>
    <message>
        <source>Image input tokens</source>
        <translation>Jetons d&apos;entrée image</translation>
    </message>
    <message>
        <source>Web searches</source>
        <translation>Recherches web</translation>
    </message>
    <message>
        <source>Code-execution sessions</source>
        <translation>Sessions d&apos;exécution de code</translation>
    </message>
</context>
<context>
    <name>tollgate::CatalogCommand</name>
    <message>
        <source>cannot write %1: %2</source>
        <translation>impossible d&apos;écrire %1 : %2</translation>
    </message>
    <message>
        <source>Wrote the catalog (%1 models) to %2</source>
        <translation>Catalogue (%1 modèles) écrit dans %2</translation>
    </message>
    <message>
        <source>cannot read %1: %2</source>
        <translation>impossible de lire %1 : %2</translation>
    </message>
    <message>
        <source>%1 is not a price file Tollgate can read: %2</source>
        <translation>%1 n&apos;est pas un fichier de prix que Tollgate sait lire : %2</translation>
    </message>
    <message>
        <source>the built-in catalog</source>
        <translation>le catalogue intégré</translation>
    </message>
    <message>
        <source>+ %1 (new model)</source>
        <translation>+ %1 (nouveau modèle)</translation>
    </message>
    <message>
        <source>- %1 (removed)</source>
        <translation>- %1 (supprimé)</translation>
    </message>
    <message>
        <source>~ %1 %2: %3 -&gt; %4</source>
        <translation>~ %1 %2 : %3 -&gt; %4</translation>
    </message>
    <message>
        <source>  skipped: %1</source>
        <translation>  ignoré : %1</translation>
    </message>
    <message>
        <source>%1 changes to %2 models, %3 removed, %4 unchanged (%5 format)</source>
        <translation>%1 changements sur %2 modèles, %3 supprimés, %4 inchangés (format %5)</translation>
    </message>
    <message>
        <source>Nothing was changed: run it again with --apply to apply these changes.</source>
        <translation>Rien n&apos;a été changé : relancez avec --apply pour appliquer ces changements.</translation>
    </message>
    <message>
        <source>Applied.</source>
        <translation>Appliqué.</translation>
    </message>
</context>
<context>
    <name>tollgate::CatalogPage</name>
    <message>
        <source>OpenAI-compatible</source>
        <translation>compatible OpenAI</translation>
    </message>
    <message>
        <source>Anthropic</source>
        <translation>Anthropic</translation>
    </message>
    <message>
        <source>Built-in mock</source>
        <translation>Simulation intégrée</translation>
    </message>
    <message>
        <source>Models &amp; Providers</source>
        <translation>Modèles et fournisseurs</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Provider</source>
        <translation>Fournisseur</translation>
    </message>
    <message>
        <source>Upstream name</source>
        <translation>Nom chez le fournisseur</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>Niveau</translation>
    </message>
    <message>
        <source>Input $/M</source>
        <translation>Entrée $/M</translation>
    </message>
    <message>
        <source>Cached $/M</source>
        <translation>En cache $/M</translation>
    </message>
    <message>
        <source>Output $/M</source>
        <translation>Sortie $/M</translation>
    </message>
    <message>
        <source>Max output</source>
        <translation>Sortie max.</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>Approuvé</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>oui</translation>
    </message>
    <message>
        <source>no</source>
        <translation>non</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>URL de base</translation>
    </message>
    <message>
        <source>Secret</source>
        <translation>Secret</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>non défini</translation>
    </message>
    <message>
        <source>&lt;b&gt;Models&lt;/b&gt;  </source>
        <translation>&lt;b&gt;Modèles&lt;/b&gt;  </translation>
    </message>
    <message>
        <source>New model…</source>
        <translation>Nouveau modèle…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Modifier…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Supprimer…</translation>
    </message>
    <message>
        <source>&lt;b&gt;Providers&lt;/b&gt;  </source>
        <translation>&lt;b&gt;Fournisseurs&lt;/b&gt;  </translation>
    </message>
    <message>
        <source>New provider…</source>
        <translation>Nouveau fournisseur…</translation>
    </message>
    <message>
        <source>Edit model</source>
        <translation>Modifier le modèle</translation>
    </message>
    <message>
        <source>New model</source>
        <translation>Nouveau modèle</translation>
    </message>
    <message>
        <source>Model id:</source>
        <translation>Identifiant du modèle :</translation>
    </message>
    <message>
        <source>as clients send it</source>
        <translation>tel que les clients l&apos;envoient</translation>
    </message>
    <message>
        <source>Provider:</source>
        <translation>Fournisseur :</translation>
    </message>
    <message>
        <source>Upstream name:</source>
        <translation>Nom chez le fournisseur :</translation>
    </message>
    <message>
        <source>empty: the same as the id</source>
        <translation>vide : identique à l&apos;identifiant</translation>
    </message>
    <message>
        <source>Tier (1 = cheapest):</source>
        <translation>Niveau (1 = le moins cher) :</translation>
    </message>
    <message>
        <source>Maximum output tokens:</source>
        <translation>Jetons de sortie maximum :</translation>
    </message>
    <message>
        <source>Context window (tokens):</source>
        <translation>Fenêtre de contexte (jetons) :</translation>
    </message>
    <message>
        <source>Approved for use</source>
        <translation>Approuvé pour l&apos;usage</translation>
    </message>
    <message>
        <source>must be 1 to 10</source>
        <translation>doit être entre 1 et 10</translation>
    </message>
    <message>
        <source>must not be empty</source>
        <translation>ne doit pas être vide</translation>
    </message>
    <message>
        <source>entered in the console</source>
        <translation>saisi dans la console</translation>
    </message>
    <message>
        <source>Model saved.</source>
        <translation>Modèle enregistré.</translation>
    </message>
    <message>
        <source>Edit provider</source>
        <translation>Modifier le fournisseur</translation>
    </message>
    <message>
        <source>New provider</source>
        <translation>Nouveau fournisseur</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nom :</translation>
    </message>
    <message>
        <source>Kind:</source>
        <translation>Type :</translation>
    </message>
    <message>
        <source>Base URL:</source>
        <translation>URL de base :</translation>
    </message>
    <message>
        <source>https://api.openai.com/v1</source>
        <translation>https://api.openai.com/v1</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>Clé d&apos;API :</translation>
    </message>
    <message>
        <source>stored; type to replace it</source>
        <translation>enregistrée ; saisissez-en une autre pour la remplacer</translation>
    </message>
    <message>
        <source>the provider&apos;s API key</source>
        <translation>la clé d&apos;API du fournisseur</translation>
    </message>
    <message>
        <source>The key is stored and sent to the provider; it is never shown again, here or in the admin API.</source>
        <translation>La clé est enregistrée et envoyée au fournisseur ; elle n&apos;est plus jamais affichée, ni ici ni dans l&apos;API d&apos;administration.</translation>
    </message>
    <message>
        <source>Provider saved.</source>
        <translation>Fournisseur enregistré.</translation>
    </message>
    <message>
        <source>Select one model.</source>
        <translation>Sélectionnez un modèle.</translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation>Supprimer le modèle</translation>
    </message>
    <message>
        <source>Delete %1? Requests for it are refused from now on.</source>
        <translation>Supprimer %1 ? Les requêtes qui le demandent seront désormais refusées.</translation>
    </message>
    <message>
        <source>Select one provider.</source>
        <translation>Sélectionnez un fournisseur.</translation>
    </message>
    <message>
        <source>Delete provider</source>
        <translation>Supprimer le fournisseur</translation>
    </message>
    <message>
        <source>Delete %1?</source>
        <translation>Supprimer %1 ?</translation>
    </message>
    <message>
        <source>Alias or pattern</source>
        <translation>Alias ou motif</translation>
    </message>
    <message>
        <source>pattern</source>
        <translation>motif</translation>
    </message>
    <message>
        <source>alias</source>
        <translation>alias</translation>
    </message>
    <message>
        <source>Served as</source>
        <translation>Servi comme</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>&lt;b&gt;Aliases and patterns&lt;/b&gt;  </source>
        <translation>&lt;b&gt;Alias et motifs&lt;/b&gt;  </translation>
    </message>
    <message>
        <source>New alias…</source>
        <translation>Nouvel alias…</translation>
    </message>
    <message>
        <source>Which model is this id?</source>
        <translation>Quel modèle est cet identifiant ?</translation>
    </message>
    <message>
        <source>A dated snapshot (-20250929) or -latest of a model needs no alias. A pattern (* and ?) serves a family&apos;s new releases at the prices of the model named; the most specific pattern wins.</source>
        <translation>Une version datée (-20250929) ou -latest d&apos;un modèle n&apos;a pas besoin d&apos;alias. Un motif (* et ?) sert les nouvelles versions d&apos;une famille aux prix du modèle nommé ; le motif le plus précis l&apos;emporte.</translation>
    </message>
    <message>
        <source>  refused: not in the catalog (closest: %1)</source>
        <translation>  refusé : absent du catalogue (les plus proches : %1)</translation>
    </message>
    <message>
        <source>  %1 is in the catalog</source>
        <translation>  %1 est au catalogue</translation>
    </message>
    <message>
        <source>  served and priced as %1, by %2</source>
        <translation>  servi et facturé comme %1, par %2</translation>
    </message>
    <message>
        <source>Edit alias</source>
        <translation>Modifier l&apos;alias</translation>
    </message>
    <message>
        <source>New alias</source>
        <translation>Nouvel alias</translation>
    </message>
    <message>
        <source>Alias or pattern:</source>
        <translation>Alias ou motif :</translation>
    </message>
    <message>
        <source>opus, or claude-opus-*</source>
        <translation>opus, ou claude-opus-*</translation>
    </message>
    <message>
        <source>Served as model:</source>
        <translation>Servi comme le modèle :</translation>
    </message>
    <message>
        <source>Note:</source>
        <translation>Note :</translation>
    </message>
    <message>
        <source>why it is there</source>
        <translation>pourquoi il existe</translation>
    </message>
    <message>
        <source>Requests for the alias are counted, limited and priced as that model; the usage record keeps the id the client sent and the alias or pattern that matched.</source>
        <translation>Les requêtes pour l&apos;alias sont comptées, limitées et facturées comme ce modèle ; l&apos;enregistrement d&apos;usage garde l&apos;identifiant envoyé par le client et l&apos;alias ou le motif qui a correspondu.</translation>
    </message>
    <message>
        <source>Alias saved.</source>
        <translation>Alias enregistré.</translation>
    </message>
    <message>
        <source>Select one alias.</source>
        <translation>Sélectionnez un alias.</translation>
    </message>
    <message>
        <source>Delete alias</source>
        <translation>Supprimer l&apos;alias</translation>
    </message>
    <message>
        <source>Delete %1? Requests for ids it serves are refused unless another rule serves them.</source>
        <translation>Supprimer %1 ? Les requêtes pour les identifiants qu&apos;il sert sont refusées, sauf si une autre règle les sert.</translation>
    </message>
    <message>
        <source>Output cap field:</source>
        <translation>Champ du plafond de sortie :</translation>
    </message>
    <message>
        <source>as the client sends it</source>
        <translation>comme le client l&apos;envoie</translation>
    </message>
    <message>
        <source>Cache write $/M</source>
        <translation>Écriture en cache $/M</translation>
    </message>
    <message>
        <source>Long context</source>
        <translation>Contexte long</translation>
    </message>
    <message>
        <source>above %1</source>
        <translation>au-delà de %1</translation>
    </message>
    <message>
        <source>Update prices from file…</source>
        <translation>Mettre à jour les prix depuis un fichier…</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exporter…</translation>
    </message>
    <message>
        <source>Prices in US dollars per million tokens; server tools per 1,000 calls. Leave a price empty to follow its default, shown in grey.</source>
        <translation>Prix en dollars US par million de jetons ; outils serveur pour 1 000 appels. Laissez un prix vide pour suivre sa valeur par défaut, affichée en gris.</translation>
    </message>
    <message>
        <source>default: %1</source>
        <translation>par défaut : %1</translation>
    </message>
    <message>
        <source>from the price above</source>
        <translation>du prix ci-dessus</translation>
    </message>
    <message>
        <source>Long-context tier above (input tokens):</source>
        <translation>Palier de contexte long au-delà de (jetons d&apos;entrée) :</translation>
    </message>
    <message>
        <source>empty: one tier</source>
        <translation>vide : un seul palier</translation>
    </message>
    <message>
        <source>Most tokens one image costs:</source>
        <translation>Jetons au plus par image :</translation>
    </message>
    <message>
        <source>empty: the provider&apos;s sizing rule</source>
        <translation>vide : la règle de taille du fournisseur</translation>
    </message>
    <message>
        <source>Update prices from file</source>
        <translation>Mettre à jour les prix depuis un fichier</translation>
    </message>
    <message>
        <source>Price files (*.json);;All files (*)</source>
        <translation>Fichiers de prix (*.json);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>Impossible de lire %1 : %2</translation>
    </message>
    <message>
        <source>%1 is not a price file Tollgate can read: %2</source>
        <translation>%1 n&apos;est pas un fichier de prix que Tollgate sait lire : %2</translation>
    </message>
    <message numerus="yes">
        <source>%n price changes applied.</source>
        <translation>
            <numerusform>%n changement de prix appliqué.</numerusform>
            <numerusform>%n changements de prix appliqués.</numerusform>
        </translation>
    </message>
    <message>
        <source>Export the catalog</source>
        <translation>Exporter le catalogue</translation>
    </message>
    <message>
        <source>Tollgate catalog (*.json)</source>
        <translation>Catalogue Tollgate (*.json)</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d&apos;écrire %1 : %2</translation>
    </message>
    <message>
        <source>Catalog exported to %1.</source>
        <translation>Catalogue exporté dans %1.</translation>
    </message>
    <message>
        <source>Rotate secret key…</source>
        <translation>Renouveler la clé secrète…</translation>
    </message>
    <message>
        <source>Secrets typed here go to the OS keychain; where none answers they are encrypted under a key held in memory (this database is in memory too).</source>
        <translation>Les secrets saisis ici vont dans le trousseau du système ; là où aucun ne répond, ils sont chiffrés avec une clé gardée en mémoire (cette base de données est aussi en mémoire).</translation>
    </message>
    <message>
        <source>Secrets typed here go to the OS keychain (%1). Where none answers, and for secrets set through the admin API on a server, they are encrypted in the database under the key file %2: back it up with the database.</source>
        <translation>Les secrets saisis ici vont dans le trousseau du système (%1). Là où aucun ne répond, et pour les secrets définis par l&apos;API d&apos;administration sur un serveur, ils sont chiffrés dans la base de données avec le fichier de clé %2 : sauvegardez-le avec la base de données.</translation>
    </message>
    <message>
        <source>in a keychain this session cannot read</source>
        <translation>dans un trousseau que cette session ne peut pas lire</translation>
    </message>
    <message>
        <source>in the OS keychain</source>
        <translation>dans le trousseau du système</translation>
    </message>
    <message>
        <source>encrypted under the key file</source>
        <translation>chiffré avec le fichier de clé</translation>
    </message>
    <message>
        <source>in plain text</source>
        <translation>en clair</translation>
    </message>
    <message>
        <source>Rotate secret key</source>
        <translation>Renouveler la clé secrète</translation>
    </message>
    <message>
        <source>Encrypt every provider secret kept in the database under a new key, and replace the key file %1 with it?

Instances that share this database need the new file afterwards; secrets in the OS keychain stay where they are.</source>
        <translation>Chiffrer chaque secret de fournisseur gardé dans la base de données avec une nouvelle clé, et remplacer le fichier de clé %1 par celle-ci ?

Les instances qui partagent cette base de données auront ensuite besoin du nouveau fichier ; les secrets du trousseau du système restent où ils sont.</translation>
    </message>
    <message numerus="yes">
        <source>%n secret(s) encrypted under the new key %1. Back up the key file %2.</source>
        <translation>
            <numerusform>%n secret chiffré avec la nouvelle clé %1. Sauvegardez le fichier de clé %2.</numerusform>
            <numerusform>%n secrets chiffrés avec la nouvelle clé %1. Sauvegardez le fichier de clé %2.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>tollgate::CommandLine</name>
    <message>
        <source>Show this help and exit.</source>
        <translation>Afficher cette aide et quitter.</translation>
    </message>
    <message>
        <source>Show the version and exit.</source>
        <translation>Afficher la version et quitter.</translation>
    </message>
    <message>
        <source>The database: a SQLite file (default: %1) or a postgresql:// URL.</source>
        <translation>La base de données : un fichier SQLite (par défaut : %1) ou une URL postgresql://.</translation>
    </message>
    <message>
        <source>location</source>
        <translation>emplacement</translation>
    </message>
    <message>
        <source>Start on the demo organisation (loaded into an empty database).</source>
        <translation>Démarrer avec l&apos;organisation de démonstration (chargée dans une base vide).</translation>
    </message>
    <message>
        <source>Gateway address, HOST:PORT (default 127.0.0.1:8787; mock-upstream 127.0.0.1:9100).</source>
        <translation>Adresse de la passerelle, HÔTE:PORT (par défaut 127.0.0.1:8787 ; mock-upstream 127.0.0.1:9100).</translation>
    </message>
    <message>
        <source>address</source>
        <translation>adresse</translation>
    </message>
    <message>
        <source>Serve the admin API (/api/admin) on its own address, HOST:PORT. Without it, the admin API answers on the gateway&apos;s address to clients on this machine only.</source>
        <translation>Servir l&apos;API d&apos;administration (/api/admin) sur sa propre adresse, HÔTE:PORT. Sans cette option, l&apos;API d&apos;administration répond sur l&apos;adresse de la passerelle, aux seuls clients de cette machine.</translation>
    </message>
    <message>
        <source>Gateway settings file (JSON).</source>
        <translation>Fichier de réglages de la passerelle (JSON).</translation>
    </message>
    <message>
        <source>file</source>
        <translation>fichier</translation>
    </message>
    <message>
        <source>Serve HTTPS with this PEM certificate (chain).</source>
        <translation>Servir en HTTPS avec ce certificat PEM (chaîne).</translation>
    </message>
    <message>
        <source>The PEM private key for --tls-cert.</source>
        <translation>La clé privée PEM de --tls-cert.</translation>
    </message>
    <message>
        <source>mock-upstream: wait this long before answering.</source>
        <translation>mock-upstream : attendre ce délai avant de répondre.</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Console: start in the tray without showing the window (as at login).</source>
        <translation>Console : démarrer dans la zone de notification sans afficher la fenêtre (comme à l&apos;ouverture de session).</translation>
    </message>
    <message>
        <source>[command]</source>
        <translation>[commande]</translation>
    </message>
    <message>
        <source>is empty; give a SQLite file path or a postgresql:// URL</source>
        <translation>est vide ; indiquez un chemin de fichier SQLite ou une URL postgresql://</translation>
    </message>
    <message>
        <source>and --tls-key go together</source>
        <translation>et --tls-key vont ensemble</translation>
    </message>
    <message>
        <source>must be a whole number of milliseconds, 0 to 600000</source>
        <translation>doit être un nombre entier de millisecondes, de 0 à 600000</translation>
    </message>
    <message>
        <source>takes the folder to write the pictures to</source>
        <translation>attend le dossier où écrire les images</translation>
    </message>
    <message>
        <source>takes one command at most, got: %1</source>
        <translation>accepte une commande au plus, reçu : %1</translation>
    </message>
    <message>
        <source>catalog import: apply the changes (otherwise only shown).</source>
        <translation>catalog import : appliquer les changements (sinon seulement affichés).</translation>
    </message>
    <message>
        <source>catalog import: add the file&apos;s models the catalog does not have (unapproved).</source>
        <translation>catalog import : ajouter les modèles du fichier absents du catalogue (non approuvés).</translation>
    </message>
    <message>
        <source>catalog import: remove the models a Tollgate catalog file does not list.</source>
        <translation>catalog import : supprimer les modèles qu&apos;un fichier de catalogue Tollgate ne liste pas.</translation>
    </message>
    <message>
        <source>catalog import: the price list built into this Tollgate.</source>
        <translation>catalog import : la liste de prix intégrée à ce Tollgate.</translation>
    </message>
    <message>
        <source>takes a price file, or --built-in</source>
        <translation>attend un fichier de prix, ou --built-in</translation>
    </message>
    <message>
        <source>takes one file at most</source>
        <translation>attend un fichier au plus</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a catalog command; use import or export</source>
        <translation>« %1 » n&apos;est pas une commande de catalogue ; utilisez import ou export</translation>
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
        <translation>Tollgate : console d&apos;administration et passerelle pour l&apos;usage des LLM d&apos;une organisation.

Commandes :
  (aucune)       ouvrir la console (elle fait aussi tourner la passerelle)
  serve          faire tourner la passerelle sans affichage ; SIGTERM termine les requêtes en cours puis arrête
  mock-upstream  faire tourner seul le fournisseur LLM simulé (API OpenAI et Anthropic), pour les tests
  info           afficher un résumé de l&apos;organisation et quitter
  reset-demo     remplacer l&apos;organisation par l&apos;organisation de démonstration et quitter
  screenshots DIR  enregistrer chaque page de la console dans DIR/NN-page.png et quitter
  catalog import FICHIER  montrer ce qu&apos;un fichier de prix (format de catalogue de Tollgate ou le fichier public
                 model_prices_and_context_window.json) changerait ; --apply l&apos;applique
  catalog import --built-in  la même chose avec la liste de prix livrée avec ce Tollgate
  catalog export [FICHIER]  écrire le catalogue au format de Tollgate (sur la sortie standard sans FICHIER)
  rotate-secret-key  chiffrer les secrets des fournisseurs avec une nouvelle clé, remplacer le fichier de clé et quitter</translation>
    </message>
    <message>
        <source>The key that encrypts provider secrets in the database (default: TOLLGATE_SECRET_KEY_FILE, else next to a SQLite database, else in the data folder; made on first start).</source>
        <translation>La clé qui chiffre les secrets des fournisseurs dans la base de données (par défaut : TOLLGATE_SECRET_KEY_FILE, sinon à côté d&apos;une base SQLite, sinon dans le dossier de données ; créée au premier démarrage).</translation>
    </message>
    <message>
        <source>serve, mock-upstream, info, reset-demo, screenshots, catalog or rotate-secret-key; none opens the console.</source>
        <translation>serve, mock-upstream, info, reset-demo, screenshots, catalog ou rotate-secret-key ; sans commande, la console s&apos;ouvre.</translation>
    </message>
    <message>
        <source>is empty; give the path of the secret key file</source>
        <translation>est vide ; indiquez le chemin du fichier de clé</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a command; use serve, mock-upstream, info, reset-demo, screenshots, catalog or rotate-secret-key, or none for the console</source>
        <translation>« %1 » n&apos;est pas une commande ; utilisez serve, mock-upstream, info, reset-demo, screenshots, catalog ou rotate-secret-key, ou aucune pour la console</translation>
    </message>
</context>
<context>
    <name>tollgate::CustomersPage</name>
    <message>
        <source>none</source>
        <translation>aucune</translation>
    </message>
    <message>
        <source>daily</source>
        <translation>quotidien</translation>
    </message>
    <message>
        <source>weekly</source>
        <translation>hebdomadaire</translation>
    </message>
    <message>
        <source>monthly</source>
        <translation>mensuel</translation>
    </message>
    <message>
        <source>yearly</source>
        <translation>annuel</translation>
    </message>
    <message>
        <source>custom period</source>
        <translation>période personnalisée</translation>
    </message>
    <message>
        <source>must be a date like 2026-12-31</source>
        <translation>doit être une date comme 2026-12-31</translation>
    </message>
    <message>
        <source>Customers</source>
        <translation>Clients</translation>
    </message>
    <message>
        <source>Identifier</source>
        <translation>Identifiant</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Email</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>Ce mois-ci</translation>
    </message>
    <message>
        <source>Requests/min</source>
        <translation>Requêtes/min</translation>
    </message>
    <message>
        <source>Period budget</source>
        <translation>Budget de la période</translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <source>Lifetime budget</source>
        <translation>Budget total</translation>
    </message>
    <message>
        <source>Markup</source>
        <translation>Majoration</translation>
    </message>
    <message>
        <source>New customer…</source>
        <translation>Nouveau client…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Modifier…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Supprimer…</translation>
    </message>
    <message>
        <source>Filter customers</source>
        <translation>Filtrer les clients</translation>
    </message>
    <message>
        <source>Edit customer</source>
        <translation>Modifier le client</translation>
    </message>
    <message>
        <source>New customer</source>
        <translation>Nouveau client</translation>
    </message>
    <message>
        <source>Identifier:</source>
        <translation>Identifiant :</translation>
    </message>
    <message>
        <source>as sent in customer_params.customer_identifier</source>
        <translation>tel qu&apos;envoyé dans customer_params.customer_identifier</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nom :</translation>
    </message>
    <message>
        <source>Email:</source>
        <translation>E-mail :</translation>
    </message>
    <message>
        <source>Requests per minute:</source>
        <translation>Requêtes par minute :</translation>
    </message>
    <message>
        <source>empty: no rate limit</source>
        <translation>vide : pas de limite de débit</translation>
    </message>
    <message>
        <source>Budget period:</source>
        <translation>Période du budget :</translation>
    </message>
    <message>
        <source>Period budget ($):</source>
        <translation>Budget de la période ($) :</translation>
    </message>
    <message>
        <source>empty: none</source>
        <translation>vide : aucun</translation>
    </message>
    <message>
        <source>Custom period from:</source>
        <translation>Période personnalisée à partir du :</translation>
    </message>
    <message>
        <source>2026-01-01</source>
        <translation>2026-01-01</translation>
    </message>
    <message>
        <source>Custom period until:</source>
        <translation>Période personnalisée jusqu&apos;au :</translation>
    </message>
    <message>
        <source>2026-12-31 (exclusive)</source>
        <translation>2026-12-31 (exclu)</translation>
    </message>
    <message>
        <source>Lifetime budget ($):</source>
        <translation>Budget total ($) :</translation>
    </message>
    <message>
        <source>Markup (%):</source>
        <translation>Majoration (%) :</translation>
    </message>
    <message>
        <source>for reports; e.g. 12.5</source>
        <translation>pour les rapports ; p. ex. 12.5</translation>
    </message>
    <message>
        <source>must be between 0 and 10000 percent</source>
        <translation>doit être entre 0 et 10000 pour cent</translation>
    </message>
    <message>
        <source>Customer saved.</source>
        <translation>Client enregistré.</translation>
    </message>
    <message>
        <source>Select one customer.</source>
        <translation>Sélectionnez un client.</translation>
    </message>
    <message>
        <source>Delete customer</source>
        <translation>Supprimer le client</translation>
    </message>
    <message>
        <source>Delete the customer %1? Their usage records stay.</source>
        <translation>Supprimer le client %1 ? Ses enregistrements d&apos;usage sont conservés.</translation>
    </message>
    <message>
        <source>Customer %1 deleted.</source>
        <translation>Client %1 supprimé.</translation>
    </message>
    <message>
        <source>Lock these limits: requests (customer_params) may not change them</source>
        <translation>Verrouiller ces limites : les requêtes (customer_params) ne peuvent pas les changer</translation>
    </message>
    <message>
        <source>Limits locked</source>
        <translation>Limites verrouillées</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>oui</translation>
    </message>
    <message>
        <source>no</source>
        <translation>non</translation>
    </message>
    <message>
        <source>No end customers yet. They appear with the first request that names one in customer_params, or with New customer…</source>
        <translation>Pas encore de clients finaux. Ils apparaissent avec la première requête qui en nomme un dans customer_params, ou avec Nouveau client…</translation>
    </message>
    <message>
        <source>No customer matches the filter.</source>
        <translation>Aucun client ne correspond au filtre.</translation>
    </message>
</context>
<context>
    <name>tollgate::Dashboard</name>
    <message>
        <source>Other</source>
        <translation>Autres</translation>
    </message>
</context>
<context>
    <name>tollgate::DashboardPage</name>
    <message>
        <source>Dashboard</source>
        <translation>Tableau de bord</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>7 derniers jours</translation>
    </message>
    <message>
        <source>Last 14 days</source>
        <translation>14 derniers jours</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>30 derniers jours</translation>
    </message>
    <message>
        <source>Last 90 days</source>
        <translation>90 derniers jours</translation>
    </message>
    <message>
        <source>Stack by model</source>
        <translation>Empiler par modèle</translation>
    </message>
    <message>
        <source>Stack by user</source>
        <translation>Empiler par utilisateur</translation>
    </message>
    <message>
        <source>Stack by group</source>
        <translation>Empiler par groupe</translation>
    </message>
    <message>
        <source>Spend per day (click a bar for its requests)</source>
        <translation>Dépenses par jour (cliquez sur une barre pour ses requêtes)</translation>
    </message>
    <message>
        <source>Top users by cost</source>
        <translation>Utilisateurs les plus coûteux</translation>
    </message>
    <message>
        <source>Daily active users</source>
        <translation>Utilisateurs actifs par jour</translation>
    </message>
    <message>
        <source>Monthly limit use</source>
        <translation>Utilisation des limites mensuelles</translation>
    </message>
    <message>
        <source>Spend</source>
        <translation>Dépenses</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>Limite</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>Utilisé</translation>
    </message>
    <message>
        <source>The dashboard could not be read: %1</source>
        <translation>Le tableau de bord n&apos;a pas pu être lu : %1</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; spent · &lt;b&gt;%2&lt;/b&gt; requests · &lt;b&gt;%3&lt;/b&gt; refused · %4 tokens</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; dépensés · &lt;b&gt;%2&lt;/b&gt; requêtes · &lt;b&gt;%3&lt;/b&gt; refusées · %4 jetons</translation>
    </message>
    <message>
        <source>%1 on %2</source>
        <translation>%1 le %2</translation>
    </message>
    <message>
        <source>Cost</source>
        <translation>Coût</translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <source>Nobody is above half of a monthly limit.</source>
        <translation>Personne n&apos;a dépassé la moitié d&apos;une limite mensuelle.</translation>
    </message>
    <message>
        <source>every request on %1</source>
        <translation>toutes les requêtes du %1</translation>
    </message>
</context>
<context>
    <name>tollgate::EditDialog</name>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
</context>
<context>
    <name>tollgate::GatewayPage</name>
    <message>
        <source>Gateway</source>
        <translation>Passerelle</translation>
    </message>
    <message>
        <source>Listen on:</source>
        <translation>Écoute sur :</translation>
    </message>
    <message>
        <source>Since the gateway started</source>
        <translation>Depuis le démarrage de la passerelle</translation>
    </message>
    <message>
        <source>Requests per second:</source>
        <translation>Requêtes par seconde :</translation>
    </message>
    <message>
        <source>Requests:</source>
        <translation>Requêtes :</translation>
    </message>
    <message>
        <source>Allowed:</source>
        <translation>Autorisées :</translation>
    </message>
    <message>
        <source>Refused:</source>
        <translation>Refusées :</translation>
    </message>
    <message>
        <source>Provider errors:</source>
        <translation>Erreurs du fournisseur :</translation>
    </message>
    <message>
        <source>In flight:</source>
        <translation>En cours :</translation>
    </message>
    <message>
        <source>Open connections:</source>
        <translation>Connexions ouvertes :</translation>
    </message>
    <message>
        <source>Usage records waiting to be written:</source>
        <translation>Enregistrements d&apos;usage en attente d&apos;écriture :</translation>
    </message>
    <message>
        <source>Usage records that failed to write:</source>
        <translation>Enregistrements d&apos;usage non écrits (échec) :</translation>
    </message>
    <message>
        <source>Clients use the OpenAI or Anthropic SDK with the base URL below and a Tollgate key. Every change made in this console applies from the next request.</source>
        <translation>Les clients utilisent le SDK OpenAI ou Anthropic avec l&apos;URL de base ci-dessous et une clé Tollgate. Chaque changement fait dans cette console s&apos;applique dès la requête suivante.</translation>
    </message>
    <message>
        <source>This console runs without a gateway.</source>
        <translation>Cette console fonctionne sans passerelle.</translation>
    </message>
    <message>
        <source>Gateway stopped; requests under way were finished.</source>
        <translation>Passerelle arrêtée ; les requêtes en cours ont été terminées.</translation>
    </message>
    <message>
        <source>The gateway did not start: %1</source>
        <translation>La passerelle n&apos;a pas démarré : %1</translation>
    </message>
    <message>
        <source>Gateway listening on %1.</source>
        <translation>Passerelle à l&apos;écoute sur %1.</translation>
    </message>
    <message>
        <source>● Running at &lt;b&gt;%1&lt;/b&gt;</source>
        <translation>● En marche sur &lt;b&gt;%1&lt;/b&gt;</translation>
    </message>
    <message>
        <source>○ Stopped%1</source>
        <translation>○ Arrêtée%1</translation>
    </message>
    <message>
        <source>: %1</source>
        <translation> : %1</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Arrêter</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Démarrer</translation>
    </message>
</context>
<context>
    <name>tollgate::GroupTreeModel</name>
    <message>
        <source>no budget</source>
        <translation>pas de budget</translation>
    </message>
    <message>
        <source>%1 (warn)</source>
        <translation>%1 (avertir)</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>Groupe</translation>
    </message>
    <message>
        <source>Members</source>
        <translation>Membres</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>Ce mois-ci</translation>
    </message>
    <message>
        <source>Monthly budget</source>
        <translation>Budget mensuel</translation>
    </message>
    <message>
        <source>These users no longer exist.</source>
        <translation>Ces utilisateurs n&apos;existent plus.</translation>
    </message>
    <message>
        <source>%1 cannot go under %2: %2 is inside %1, and a group cannot contain itself.</source>
        <translation>%1 ne peut pas aller sous %2 : %2 est dans %1, et un groupe ne peut pas se contenir lui-même.</translation>
    </message>
    <message>
        <source>Move group %1 under %2</source>
        <translation>Déplacer le groupe %1 sous %2</translation>
    </message>
    <message>
        <source>Make %1 a top-level group</source>
        <translation>Faire de %1 un groupe de premier niveau</translation>
    </message>
</context>
<context>
    <name>tollgate::GroupsPage</name>
    <message>
        <source>Groups</source>
        <translation>Groupes</translation>
    </message>
    <message>
        <source>New group…</source>
        <translation>Nouveau groupe…</translation>
    </message>
    <message>
        <source>New subgroup…</source>
        <translation>Nouveau sous-groupe…</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Renommer…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Supprimer…</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>Rétablir</translation>
    </message>
    <message>
        <source>Drag a group onto another to make it a subgroup, onto the empty area to make it top-level; drop users on a group to add them</source>
        <translation>Glissez un groupe sur un autre pour en faire un sous-groupe, sur la zone vide pour le mettre au premier niveau ; déposez des utilisateurs sur un groupe pour les y ajouter</translation>
    </message>
    <message>
        <source>Aggregate monthly budget: what members spend while in the group, subgroups included</source>
        <translation>Budget mensuel commun : ce que les membres dépensent tant qu’ils sont dans le groupe, sous-groupes compris</translation>
    </message>
    <message>
        <source>This month:</source>
        <translation>Ce mois-ci :</translation>
    </message>
    <message>
        <source>no budget</source>
        <translation>pas de budget</translation>
    </message>
    <message>
        <source>Refuse requests over it</source>
        <translation>Refuser les requêtes au-delà</translation>
    </message>
    <message>
        <source>Only warn</source>
        <translation>Seulement avertir</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Enregistrer</translation>
    </message>
    <message>
        <source>Budget ($):</source>
        <translation>Budget ($) :</translation>
    </message>
    <message>
        <source>Members (drag them onto another group to move them):</source>
        <translation>Membres (glissez-les sur un autre groupe pour les déplacer) :</translation>
    </message>
    <message>
        <source>Remove from group</source>
        <translation>Retirer du groupe</translation>
    </message>
    <message>
        <source>No group selected</source>
        <translation>Aucun groupe sélectionné</translation>
    </message>
    <message numerus="yes">
        <source>Top-level group, %n direct member(s)</source>
        <translation>
            <numerusform>Groupe de premier niveau, %n membre direct</numerusform>
            <numerusform>Groupe de premier niveau, %n membres directs</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>In %1, %n direct member(s)</source>
        <translation>
            <numerusform>Dans %1, %n membre direct</numerusform>
            <numerusform>Dans %1, %n membres directs</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 sur %2</translation>
    </message>
    <message>
        <source>%1 (no budget)</source>
        <translation>%1 (pas de budget)</translation>
    </message>
    <message>
        <source>Select the group to create a subgroup in.</source>
        <translation>Sélectionnez le groupe où créer le sous-groupe.</translation>
    </message>
    <message>
        <source>New subgroup</source>
        <translation>Nouveau sous-groupe</translation>
    </message>
    <message>
        <source>New group</source>
        <translation>Nouveau groupe</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nom :</translation>
    </message>
    <message>
        <source>The group was not created: %1</source>
        <translation>Le groupe n&apos;a pas été créé : %1</translation>
    </message>
    <message>
        <source>Group %1 created.</source>
        <translation>Groupe %1 créé.</translation>
    </message>
    <message>
        <source>Rename group</source>
        <translation>Renommer le groupe</translation>
    </message>
    <message>
        <source>The group was not renamed: %1</source>
        <translation>Le groupe n&apos;a pas été renommé : %1</translation>
    </message>
    <message>
        <source>Delete group</source>
        <translation>Supprimer le groupe</translation>
    </message>
    <message>
        <source>Delete %1? Its members stay in the organisation; its subgroups move up a level.</source>
        <translation>Supprimer %1 ? Ses membres restent dans l&apos;organisation ; ses sous-groupes remontent d&apos;un niveau.</translation>
    </message>
    <message>
        <source>Group %1 deleted.</source>
        <translation>Groupe %1 supprimé.</translation>
    </message>
    <message>
        <source>budget</source>
        <translation>budget</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Non enregistré : %1</translation>
    </message>
    <message>
        <source>Budget of %1 saved.</source>
        <translation>Budget de %1 enregistré.</translation>
    </message>
    <message>
        <source>Select the members to remove.</source>
        <translation>Sélectionnez les membres à retirer.</translation>
    </message>
    <message>
        <source>No direct members: drag users here from the Users page or from another group.</source>
        <translation>Aucun membre direct : faites glisser ici des utilisateurs depuis la page Utilisateurs ou depuis un autre groupe.</translation>
    </message>
    <message>
        <source>No member matches the filter.</source>
        <translation>Aucun membre ne correspond au filtre.</translation>
    </message>
</context>
<context>
    <name>tollgate::KeyDialog</name>
    <message>
        <source>New API key</source>
        <translation>Nouvelle clé d&apos;API</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nom :</translation>
    </message>
    <message>
        <source>The holder&apos;s private project</source>
        <translation>Projet privé du titulaire</translation>
    </message>
    <message>
        <source>Project:</source>
        <translation>Projet :</translation>
    </message>
    <message>
        <source>email of the person it belongs to; empty: a service key</source>
        <translation>e-mail de la personne à qui elle appartient ; vide : une clé de service</translation>
    </message>
    <message>
        <source>Holder:</source>
        <translation>Titulaire :</translation>
    </message>
    <message>
        <source>Members of these
groups may use it:</source>
        <translation>Les membres de ces
groupes peuvent l&apos;utiliser :</translation>
    </message>
    <message>
        <source>Every model its user may use</source>
        <translation>Tout modèle que son utilisateur peut utiliser</translation>
    </message>
    <message>
        <source>Only the models ticked</source>
        <translation>Seulement les modèles cochés</translation>
    </message>
    <message>
        <source>Models:</source>
        <translation>Modèles :</translation>
    </message>
    <message>
        <source>Features:</source>
        <translation>Fonctions :</translation>
    </message>
    <message>
        <source>dollars; empty: no cap</source>
        <translation>dollars ; vide : pas de plafond</translation>
    </message>
    <message>
        <source>Monthly cap:</source>
        <translation>Plafond mensuel :</translation>
    </message>
    <message>
        <source>Expires on</source>
        <translation>Expire le</translation>
    </message>
    <message>
        <source>Expiry:</source>
        <translation>Expiration :</translation>
    </message>
    <message>
        <source>Create key</source>
        <translation>Créer la clé</translation>
    </message>
    <message>
        <source>Give the key a name (what it is for).</source>
        <translation>Donnez un nom à la clé (ce à quoi elle sert).</translation>
    </message>
    <message>
        <source>No user has the email %1.</source>
        <translation>Aucun utilisateur n&apos;a l&apos;e-mail %1.</translation>
    </message>
    <message>
        <source>A service key (no holder) needs a shared project.</source>
        <translation>Une clé de service (sans titulaire) demande un projet partagé.</translation>
    </message>
    <message>
        <source>Tick at least one model, or let the key use every model its user may use.</source>
        <translation>Cochez au moins un modèle, ou laissez la clé utiliser tout modèle permis à son utilisateur.</translation>
    </message>
    <message>
        <source>Tick at least one feature.</source>
        <translation>Cochez au moins une fonction.</translation>
    </message>
    <message>
        <source>monthly cap</source>
        <translation>plafond mensuel</translation>
    </message>
    <message>
        <source>The expiry date has passed.</source>
        <translation>La date d&apos;expiration est passée.</translation>
    </message>
    <message>
        <source>Lets requests with this key set the budgets, rate limit and markup of end customers (customer_params); without it they may only name and describe them.</source>
        <translation>Permet aux requêtes avec cette clé de fixer les budgets, la limite de débit et la marge des clients finaux (customer_params) ; sans cela, elles peuvent seulement les nommer et les décrire.</translation>
    </message>
</context>
<context>
    <name>tollgate::KeysPage</name>
    <message>
        <source>revoked</source>
        <translation>révoquée</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>expirée</translation>
    </message>
    <message>
        <source>active</source>
        <translation>active</translation>
    </message>
    <message>
        <source>API Keys</source>
        <translation>Clés d&apos;API</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Clé</translation>
    </message>
    <message>
        <source>Project</source>
        <translation>Projet</translation>
    </message>
    <message>
        <source>Holder</source>
        <translation>Titulaire</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>État</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>Ce mois-ci</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>Requêtes</translation>
    </message>
    <message>
        <source>Monthly cap</source>
        <translation>Plafond mensuel</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Expire</translation>
    </message>
    <message>
        <source>never</source>
        <translation>jamais</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>Dernière utilisation</translation>
    </message>
    <message>
        <source>New key…</source>
        <translation>Nouvelle clé…</translation>
    </message>
    <message>
        <source>Set monthly cap…</source>
        <translation>Définir le plafond mensuel…</translation>
    </message>
    <message>
        <source>Revoke…</source>
        <translation>Révoquer…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Supprimer…</translation>
    </message>
    <message>
        <source>Show requests</source>
        <translation>Voir les requêtes</translation>
    </message>
    <message>
        <source>Filter keys</source>
        <translation>Filtrer les clés</translation>
    </message>
    <message>
        <source>(service key)</source>
        <translation>(clé de service)</translation>
    </message>
    <message>
        <source>Key %1 created.</source>
        <translation>Clé %1 créée.</translation>
    </message>
    <message>
        <source>Select one key.</source>
        <translation>Sélectionnez une clé.</translation>
    </message>
    <message>
        <source>Monthly cap of %1, in dollars (empty: no cap):</source>
        <translation>Plafond mensuel de %1, en dollars (vide : aucun) :</translation>
    </message>
    <message>
        <source>monthly cap</source>
        <translation>plafond mensuel</translation>
    </message>
    <message>
        <source>Nothing changed: %1</source>
        <translation>Rien n&apos;a changé : %1</translation>
    </message>
    <message>
        <source>Cap of %1 saved.</source>
        <translation>Plafond de %1 enregistré.</translation>
    </message>
    <message>
        <source>Revoke keys</source>
        <translation>Révoquer les clés</translation>
    </message>
    <message numerus="yes">
        <source>Revoke %n key(s)? Requests with them are refused from now on.</source>
        <translation>
            <numerusform>Révoquer %n clé ? Les requêtes qui l&apos;utilisent seront désormais refusées.</numerusform>
            <numerusform>Révoquer %n clés ? Les requêtes qui les utilisent seront désormais refusées.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n key(s) revoked.</source>
        <translation>
            <numerusform>%n clé révoquée.</numerusform>
            <numerusform>%n clés révoquées.</numerusform>
        </translation>
    </message>
    <message>
        <source>Delete keys</source>
        <translation>Supprimer les clés</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n key(s)? Their usage records stay.</source>
        <translation>
            <numerusform>Supprimer %n clé ? Ses enregistrements d&apos;usage sont conservés.</numerusform>
            <numerusform>Supprimer %n clés ? Leurs enregistrements d&apos;usage sont conservés.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n key(s) deleted.</source>
        <translation>
            <numerusform>%n clé supprimée.</numerusform>
            <numerusform>%n clés supprimées.</numerusform>
        </translation>
    </message>
    <message>
        <source>Customer limits…</source>
        <translation>Limites des clients…</translation>
    </message>
    <message>
        <source>Requests with %1 may set the budgets, rate limit and markup of end customers (customer_params).

Take that away? They may still name and describe customers.</source>
        <translation>Les requêtes avec %1 peuvent fixer les budgets, la limite de débit et la marge des clients finaux (customer_params).

Leur retirer ce droit ? Elles pourront toujours nommer et décrire les clients.</translation>
    </message>
    <message>
        <source>Requests with %1 may name and describe end customers (customer_params), but not set their limits.

Let them set the budgets, rate limit and markup of customers whose limits an admin has not locked?</source>
        <translation>Les requêtes avec %1 peuvent nommer et décrire les clients finaux (customer_params), mais pas fixer leurs limites.

Leur permettre de fixer les budgets, la limite de débit et la marge des clients dont un admin n&apos;a pas verrouillé les limites ?</translation>
    </message>
    <message>
        <source>Customer limits</source>
        <translation>Limites des clients</translation>
    </message>
    <message>
        <source>%1 may no longer set customer limits.</source>
        <translation>%1 ne peut plus fixer les limites des clients.</translation>
    </message>
    <message>
        <source>%1 may set customer limits.</source>
        <translation>%1 peut fixer les limites des clients.</translation>
    </message>
    <message>
        <source>No API keys yet: New key… makes one.</source>
        <translation>Pas encore de clés d&apos;API : Nouvelle clé… en crée une.</translation>
    </message>
    <message>
        <source>No key matches the filter.</source>
        <translation>Aucune clé ne correspond au filtre.</translation>
    </message>
</context>
<context>
    <name>tollgate::LimitUse</name>
    <message>
        <source>user</source>
        <translation>utilisateur</translation>
    </message>
    <message>
        <source>group</source>
        <translation>groupe</translation>
    </message>
    <message>
        <source>key</source>
        <translation>clé</translation>
    </message>
</context>
<context>
    <name>tollgate::Main</name>
    <message>
        <source>Organization:   %1 (%2)</source>
        <translation>Organisation :  %1 (%2)</translation>
    </message>
    <message>
        <source>Database:       %1</source>
        <translation>Base :          %1</translation>
    </message>
    <message>
        <source>Users:          %1</source>
        <translation>Utilisateurs :  %1</translation>
    </message>
    <message>
        <source>Groups:         %1</source>
        <translation>Groupes :       %1</translation>
    </message>
    <message>
        <source>Projects:       %1</source>
        <translation>Projets :       %1</translation>
    </message>
    <message>
        <source>API keys:       %1</source>
        <translation>Clés d&apos;API :    %1</translation>
    </message>
    <message>
        <source>Customers:      %1</source>
        <translation>Clients :       %1</translation>
    </message>
    <message>
        <source>Models:         %1</source>
        <translation>Modèles :       %1</translation>
    </message>
    <message>
        <source>Usage records:  %1</source>
        <translation>Usage :         %1</translation>
    </message>
    <message>
        <source>Loaded the demo organisation: %1 users, %2 groups, %3 keys, %4 customers, %5 usage records.</source>
        <translation>Organisation de démonstration chargée : %1 utilisateurs, %2 groupes, %3 clés, %4 clients, %5 enregistrements d&apos;usage.</translation>
    </message>
    <message>
        <source>A demo API key (shown once): %1</source>
        <translation>Une clé d&apos;API de démonstration (affichée une seule fois) : %1</translation>
    </message>
    <message>
        <source>tollgate: mock provider listening on http://%1:%2</source>
        <translation>tollgate : fournisseur simulé à l&apos;écoute sur http://%1:%2</translation>
    </message>
    <message>
        <source>Try &apos;tollgate --help&apos;.</source>
        <translation>Essayez « tollgate --help ».</translation>
    </message>
    <message>
        <source>tollgate: the console is already running; brought it to the front</source>
        <translation>tollgate : la console tourne déjà ; elle a été mise au premier plan</translation>
    </message>
    <message>
        <source>tollgate: a second launch cannot find this console: %1</source>
        <translation>tollgate : un second lancement ne pourra pas trouver cette console : %1</translation>
    </message>
    <message>
        <source>tollgate: TOLLGATE_ADMIN_KEY is not used: it only becomes the owner key of a database that has no admin key yet</source>
        <translation>tollgate : TOLLGATE_ADMIN_KEY n&apos;est pas utilisée : elle ne devient la clé du propriétaire que d&apos;une base sans clé d&apos;administration</translation>
    </message>
    <message>
        <source>Created the owner admin key for the admin API (shown once; keep it safe): %1</source>
        <translation>Clé d&apos;administration du propriétaire créée pour l&apos;API d&apos;administration (affichée une seule fois ; gardez-la en lieu sûr) : %1</translation>
    </message>
    <message>
        <source>tollgate: gateway listening on %1</source>
        <translation>tollgate : passerelle à l&apos;écoute sur %1</translation>
    </message>
    <message>
        <source>tollgate: admin API on %1</source>
        <translation>tollgate : API d&apos;administration sur %1</translation>
    </message>
    <message>
        <source>tollgate: stopping; finishing the requests under way</source>
        <translation>tollgate : arrêt ; les requêtes en cours se terminent</translation>
    </message>
    <message>
        <source>tollgate: wrote the pages to %1</source>
        <translation>tollgate : pages écrites dans %1</translation>
    </message>
    <message>
        <source>Gateway listening on %1</source>
        <translation>Passerelle à l&apos;écoute sur %1</translation>
    </message>
    <message>
        <source>Gateway not running: %1</source>
        <translation>Passerelle arrêtée : %1</translation>
    </message>
    <message>
        <source>Gateway stopped</source>
        <translation>Passerelle arrêtée</translation>
    </message>
    <message>
        <source>cannot replay the usage journal: %1</source>
        <translation>impossible de rejouer le journal d’utilisation : %1</translation>
    </message>
    <message numerus="yes">
        <source>tollgate: %n provider secret(s) encrypted under the new key %1 in %2; copy that file to every instance that shares this database, and back it up</source>
        <translation>
            <numerusform>tollgate : %n secret de fournisseur chiffré avec la nouvelle clé %1 dans %2 ; copiez ce fichier sur chaque instance qui partage cette base de données, et sauvegardez-le</numerusform>
            <numerusform>tollgate : %n secrets de fournisseurs chiffrés avec la nouvelle clé %1 dans %2 ; copiez ce fichier sur chaque instance qui partage cette base de données, et sauvegardez-le</numerusform>
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
        <translation>clé %1</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Actualiser</translation>
    </message>
    <message>
        <source>&amp;Close Window</source>
        <translation>&amp;Fermer la fenêtre</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>É&amp;dition</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Annuler</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Rétablir</translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation>&amp;Aller à</translation>
    </message>
    <message>
        <source>Owner admin key</source>
        <translation>Clé d&apos;administration du propriétaire</translation>
    </message>
    <message>
        <source>Welcome to Tollgate. Your organisation&apos;s database was created at %1. To use another one (a file or a PostgreSQL server), open Settings.</source>
        <translation>Bienvenue dans Tollgate. La base de données de votre organisation a été créée dans %1. Pour en utiliser une autre (un fichier ou un serveur PostgreSQL), ouvrez les Réglages.</translation>
    </message>
    <message>
        <source>&lt;p&gt;Tollgate created an owner key for its admin API. It is shown &lt;b&gt;only now&lt;/b&gt;: copy it to a safe place.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Tollgate a créé une clé de propriétaire pour son API d&apos;administration. Elle n&apos;est affichée &lt;b&gt;que maintenant&lt;/b&gt; : copiez-la en lieu sûr.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Scripts send it as &lt;code&gt;Authorization: Bearer &amp;lt;key&amp;gt;&lt;/code&gt; to &lt;code&gt;%1&lt;/code&gt;.</source>
        <translation>Les scripts l&apos;envoient comme &lt;code&gt;Authorization: Bearer &amp;lt;clé&amp;gt;&lt;/code&gt; à &lt;code&gt;%1&lt;/code&gt;.</translation>
    </message>
</context>
<context>
    <name>tollgate::MembershipCommand</name>
    <message numerus="yes">
        <source>Add %n user(s) to %1</source>
        <translation>
            <numerusform>Ajouter %n utilisateur à %1</numerusform>
            <numerusform>Ajouter %n utilisateurs à %1</numerusform>
        </translation>
    </message>
    <message>
        <source>Already in %1.</source>
        <translation>Déjà dans %1.</translation>
    </message>
    <message numerus="yes">
        <source>Remove %n user(s) from %1</source>
        <translation>
            <numerusform>Retirer %n utilisateur de %1</numerusform>
            <numerusform>Retirer %n utilisateurs de %1</numerusform>
        </translation>
    </message>
    <message>
        <source>Not in %1.</source>
        <translation>Pas dans %1.</translation>
    </message>
    <message numerus="yes">
        <source>Move %n user(s) from %1 to %2</source>
        <translation>
            <numerusform>Déplacer %n utilisateur de %1 vers %2</numerusform>
            <numerusform>Déplacer %n utilisateurs de %1 vers %2</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 a échoué : %2</translation>
    </message>
    <message>
        <source>%1 %2 → %3</source>
        <translation>%1 %2 → %3</translation>
    </message>
    <message numerus="yes">
        <source>and %n more user(s)</source>
        <translation>
            <numerusform>et %n autre utilisateur</numerusform>
            <numerusform>et %n autres utilisateurs</numerusform>
        </translation>
    </message>
    <message>
        <source>This changes limits in force:

%1

Go ahead?</source>
        <translation>Cela change des limites en vigueur :

%1

Continuer ?</translation>
    </message>
</context>
<context>
    <name>tollgate::MessageBanner</name>
    <message>
        <source>Dismiss</source>
        <translation>Fermer</translation>
    </message>
</context>
<context>
    <name>tollgate::PoliciesPage</name>
    <message>
        <source>Policies</source>
        <translation>Règles</translation>
    </message>
    <message>
        <source>Organisation defaults</source>
        <translation>Valeurs par défaut de l&apos;organisation</translation>
    </message>
    <message>
        <source>Group settings</source>
        <translation>Réglages du groupe</translation>
    </message>
    <message>
        <source>User override</source>
        <translation>Dérogation d&apos;un utilisateur</translation>
    </message>
    <message>
        <source>Type a user&apos;s email and press Enter</source>
        <translation>Saisissez l&apos;e-mail d&apos;un utilisateur et appuyez sur Entrée</translation>
    </message>
    <message>
        <source>Remove override</source>
        <translation>Supprimer la dérogation</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>Rétablir</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Enregistrer</translation>
    </message>
    <message>
        <source>Override removed: the user gets what their groups and the organisation set.</source>
        <translation>Dérogation supprimée : l&apos;utilisateur reçoit ce que fixent ses groupes et l&apos;organisation.</translation>
    </message>
    <message>
        <source>The policy has unsaved changes. Save them?</source>
        <translation>La règle a des changements non enregistrés. Les enregistrer ?</translation>
    </message>
    <message>
        <source>No user has the email %1.</source>
        <translation>Aucun utilisateur n&apos;a l&apos;e-mail %1.</translation>
    </message>
    <message>
        <source>Defaults for everyone in %1. Effective values: for a user in no group without an override of their own.</source>
        <translation>Valeurs par défaut pour tous dans %1. Valeurs effectives : pour un utilisateur sans groupe ni dérogation propre.</translation>
    </message>
    <message>
        <source>Settings of group %1, for its members and its subgroups&apos; members. Effective values: for a member of just this group without an override.</source>
        <translation>Réglages du groupe %1, pour ses membres et ceux de ses sous-groupes. Valeurs effectives : pour un membre de ce seul groupe, sans dérogation.</translation>
    </message>
    <message>
        <source>Override for %1 &lt;%2&gt;. It wins over every group and the organisation; the effective values are what the gateway enforces for this user.</source>
        <translation>Dérogation pour %1 &lt;%2&gt;. Elle l&apos;emporte sur chaque groupe et sur l&apos;organisation ; les valeurs effectives sont celles que la passerelle applique à cet utilisateur.</translation>
    </message>
    <message>
        <source>Choose a group.</source>
        <translation>Choisissez un groupe.</translation>
    </message>
    <message>
        <source>Choose a user.</source>
        <translation>Choisissez un utilisateur.</translation>
    </message>
    <message>
        <source>Unsaved changes; the effective values show them as if saved.</source>
        <translation>Changements non enregistrés ; les valeurs effectives les montrent comme s&apos;ils l&apos;étaient.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Non enregistré : %1</translation>
    </message>
    <message>
        <source>the group no longer exists</source>
        <translation>le groupe n&apos;existe plus</translation>
    </message>
    <message>
        <source>Not saved: someone else changed this policy since it was opened. Revert to see their change, then make yours again.</source>
        <translation>Non enregistré : quelqu&apos;un d&apos;autre a modifié cette règle depuis son ouverture. Rétablissez pour voir sa modification, puis refaites la vôtre.</translation>
    </message>
    <message>
        <source>Saved. The gateway applies it from the next request.</source>
        <translation>Enregistré. La passerelle l&apos;applique dès la requête suivante.</translation>
    </message>
</context>
<context>
    <name>tollgate::Policy</name>
    <message>
        <source>Daily cost limit</source>
        <translation>Limite de coût quotidienne</translation>
    </message>
    <message>
        <source>Monthly cost limit</source>
        <translation>Limite de coût mensuelle</translation>
    </message>
    <message>
        <source>Daily token limit</source>
        <translation>Limite de jetons quotidienne</translation>
    </message>
    <message>
        <source>Monthly token limit</source>
        <translation>Limite de jetons mensuelle</translation>
    </message>
    <message>
        <source>Requests per minute</source>
        <translation>Requêtes par minute</translation>
    </message>
    <message>
        <source>Requests per hour</source>
        <translation>Requêtes par heure</translation>
    </message>
    <message>
        <source>Requests per day</source>
        <translation>Requêtes par jour</translation>
    </message>
    <message>
        <source>Maximum model tier</source>
        <translation>Niveau de modèle maximum</translation>
    </message>
    <message>
        <source>not limited at any level</source>
        <translation>limité à aucun niveau</translation>
    </message>
    <message>
        <source>bypassed for user %1</source>
        <translation>contourné pour l&apos;utilisateur %1</translation>
    </message>
    <message>
        <source>user %1</source>
        <translation>utilisateur %1</translation>
    </message>
    <message>
        <source>group %1 (inherited from %2)</source>
        <translation>groupe %1 (hérité de %2)</translation>
    </message>
    <message>
        <source>group %1</source>
        <translation>groupe %1</translation>
    </message>
    <message>
        <source>organization %1</source>
        <translation>organisation %1</translation>
    </message>
    <message>
        <source>model %1 is blocked by %2</source>
        <translation>le modèle %1 est bloqué par %2</translation>
    </message>
    <message>
        <source>model %1 is not in the models allowed by %2</source>
        <translation>le modèle %1 ne fait pas partie des modèles autorisés par %2</translation>
    </message>
    <message>
        <source>model %1 is tier %2, above the maximum tier %3 set by %4</source>
        <translation>le modèle %1 est de niveau %2, au-dessus du niveau maximum %3 fixé par %4</translation>
    </message>
    <message>
        <source>API key %1</source>
        <translation>clé d’API %1</translation>
    </message>
    <message>
        <source>project %1</source>
        <translation>projet %1</translation>
    </message>
    <message>
        <source>customer %1</source>
        <translation>client %1</translation>
    </message>
</context>
<context>
    <name>tollgate::PolicyForm</name>
    <message>
        <source>dollars, e.g. 50 or 12.50</source>
        <translation>dollars, p. ex. 50 ou 12.50</translation>
    </message>
    <message>
        <source>1 (cheapest) to 10</source>
        <translation>1 (le moins cher) à 10</translation>
    </message>
    <message>
        <source>a whole number</source>
        <translation>un nombre entier</translation>
    </message>
    <message>
        <source>Limits</source>
        <translation>Limites</translation>
    </message>
    <message>
        <source>Set here</source>
        <translation>Défini ici</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valeur</translation>
    </message>
    <message>
        <source>Effective value and where it comes from</source>
        <translation>Valeur effective et sa provenance</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modèles</translation>
    </message>
    <message>
        <source>Allowed models:</source>
        <translation>Modèles autorisés :</translation>
    </message>
    <message>
        <source>Blocked models:</source>
        <translation>Modèles bloqués :</translation>
    </message>
    <message>
        <source>Bypass (this user only)</source>
        <translation>Contourner (cet utilisateur seulement)</translation>
    </message>
    <message>
        <source>Bypass cost and token limits</source>
        <translation>Contourner les limites de coût et de jetons</translation>
    </message>
    <message>
        <source>Bypass rate limits</source>
        <translation>Contourner les limites de débit</translation>
    </message>
    <message>
        <source>Bypass model restrictions (allowed and blocked lists, maximum tier)</source>
        <translation>Contourner les restrictions de modèles (listes autorisées et bloquées, niveau maximum)</translation>
    </message>
    <message>
        <source>⚠ A bypass lifts the limits of every level (the organisation&apos;s and every group&apos;s) for this user. Group and organisation budgets still count the spend.</source>
        <translation>⚠ Un contournement lève pour cet utilisateur les limites de tous les niveaux (celles de l&apos;organisation et de chaque groupe). Les budgets des groupes et de l&apos;organisation comptent quand même les dépenses.</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>Why these settings (shown in the audit log)</source>
        <translation>Pourquoi ces réglages (visible dans le journal d&apos;audit)</translation>
    </message>
    <message>
        <source>Inherit</source>
        <translation>Hériter</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>Limite</translation>
    </message>
    <message>
        <source>Unlimited</source>
        <translation>Illimité</translation>
    </message>
    <message>
        <source>Only the models ticked</source>
        <translation>Seulement les modèles cochés</translation>
    </message>
    <message>
        <source>The models ticked</source>
        <translation>Les modèles cochés</translation>
    </message>
    <message>
        <source>Any model</source>
        <translation>Tout modèle</translation>
    </message>
    <message>
        <source>%1 (tier %2)</source>
        <translation>%1 (niveau %2)</translation>
    </message>
    <message>
        <source>Allowed models: tick at least one model, or choose Inherit or Any model</source>
        <translation>Modèles autorisés : cochez au moins un modèle, ou choisissez Hériter ou Tout modèle</translation>
    </message>
    <message>
        <source>type a value, or choose Inherit or Unlimited</source>
        <translation>saisissez une valeur, ou choisissez Hériter ou Illimité</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>aucune limite</translation>
    </message>
    <message>
        <source>any model</source>
        <translation>tout modèle</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucune</translation>
    </message>
    <message>
        <source>not set at any level</source>
        <translation>défini à aucun niveau</translation>
    </message>
    <message>
        <source>A list set here replaces the inherited one: it starts as the inherited list, so tick to add and untick to remove.</source>
        <translation>Une liste définie ici remplace la liste héritée : elle commence comme la liste héritée, cochez donc pour ajouter et décochez pour retirer.</translation>
    </message>
</context>
<context>
    <name>tollgate::PriceImportDialog</name>
    <message>
        <source>Context window (tokens)</source>
        <translation>Fenêtre de contexte (jetons)</translation>
    </message>
    <message>
        <source>Maximum output tokens</source>
        <translation>Jetons de sortie maximum</translation>
    </message>
    <message>
        <source>Long-context tier above (tokens)</source>
        <translation>Palier de contexte long au-delà de (jetons)</translation>
    </message>
    <message>
        <source>Most tokens one image costs</source>
        <translation>Jetons au plus par image</translation>
    </message>
    <message>
        <source>Update prices from %1</source>
        <translation>Mettre à jour les prix depuis %1</translation>
    </message>
    <message>
        <source>Add the file&apos;s models the catalog does not have (unapproved until you approve them)</source>
        <translation>Ajouter les modèles du fichier absents du catalogue (non approuvés jusqu&apos;à votre approbation)</translation>
    </message>
    <message>
        <source>Remove the models the file does not list</source>
        <translation>Supprimer les modèles que le fichier ne liste pas</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>Prix</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>Actuel</translation>
    </message>
    <message>
        <source>From the file</source>
        <translation>Du fichier</translation>
    </message>
    <message>
        <source>Apply changes</source>
        <translation>Appliquer les changements</translation>
    </message>
    <message>
        <source>%1 cannot be read as a price file: %2</source>
        <translation>%1 ne peut pas être lu comme fichier de prix : %2</translation>
    </message>
    <message>
        <source>The catalog already has every price in %1 (%2 models agree).</source>
        <translation>Le catalogue a déjà tous les prix de %1 (%2 modèles concordent).</translation>
    </message>
    <message>
        <source>%1 would make %2 changes to %3 models and remove %4; %5 models agree already. Prices that follow a default (cache writes, the long-context tier) move with the price they follow. Nothing changes until you apply.</source>
        <translation>%1 ferait %2 changements sur %3 modèles et en supprimerait %4 ; %5 modèles concordent déjà. Les prix qui suivent une valeur par défaut (écritures en cache, palier de contexte long) évoluent avec le prix qu&apos;ils suivent. Rien ne change avant que vous appliquiez.</translation>
    </message>
    <message>
        <source>new model</source>
        <translation>nouveau modèle</translation>
    </message>
    <message>
        <source>removed</source>
        <translation>supprimé</translation>
    </message>
    <message>
        <source>Not applied: %1</source>
        <translation>Non appliqué : %1</translation>
    </message>
</context>
<context>
    <name>tollgate::ProjectsPage</name>
    <message>
        <source>Projects</source>
        <translation>Projets</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>shared</source>
        <translation>partagé</translation>
    </message>
    <message>
        <source>private to %1</source>
        <translation>privé pour %1</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>Ce mois-ci</translation>
    </message>
    <message>
        <source>Monthly limit</source>
        <translation>Limite mensuelle</translation>
    </message>
    <message>
        <source>New project…</source>
        <translation>Nouveau projet…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Modifier…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Supprimer…</translation>
    </message>
    <message>
        <source>Filter projects</source>
        <translation>Filtrer les projets</translation>
    </message>
    <message>
        <source>Edit project</source>
        <translation>Modifier le projet</translation>
    </message>
    <message>
        <source>New project</source>
        <translation>Nouveau projet</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nom :</translation>
    </message>
    <message>
        <source>Monthly limit ($):</source>
        <translation>Limite mensuelle ($) :</translation>
    </message>
    <message>
        <source>empty: no limit</source>
        <translation>vide : aucune limite</translation>
    </message>
    <message>
        <source>Every request made with a key of the project counts against its limit.</source>
        <translation>Chaque requête faite avec une clé du projet compte dans sa limite.</translation>
    </message>
    <message>
        <source>Project saved.</source>
        <translation>Projet enregistré.</translation>
    </message>
    <message>
        <source>Select one project.</source>
        <translation>Sélectionnez un projet.</translation>
    </message>
    <message>
        <source>Delete project</source>
        <translation>Supprimer le projet</translation>
    </message>
    <message>
        <source>Delete the project %1?</source>
        <translation>Supprimer le projet %1 ?</translation>
    </message>
    <message>
        <source>Project %1 deleted.</source>
        <translation>Projet %1 supprimé.</translation>
    </message>
    <message>
        <source>No projects yet: New project… makes one.</source>
        <translation>Pas encore de projets : Nouveau projet… en crée un.</translation>
    </message>
    <message>
        <source>No project matches the filter.</source>
        <translation>Aucun projet ne correspond au filtre.</translation>
    </message>
</context>
<context>
    <name>tollgate::ReparentCommand</name>
    <message>
        <source>the group no longer exists</source>
        <translation>le groupe n&apos;existe plus</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 a échoué : %2</translation>
    </message>
</context>
<context>
    <name>tollgate::RequestLogPage</name>
    <message>
        <source>Request Log</source>
        <translation>Journal des requêtes</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Heure</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Utilisateur</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Clé</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>Client</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Tokens in/out</source>
        <translation>Jetons entrée/sortie</translation>
    </message>
    <message>
        <source>Cost</source>
        <translation>Coût</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>Latence</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>user email</source>
        <translation>e-mail de l&apos;utilisateur</translation>
    </message>
    <message>
        <source>Any status</source>
        <translation>Tout état</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Afficher</translation>
    </message>
    <message>
        <source>from</source>
        <translation>du</translation>
    </message>
    <message>
        <source>to</source>
        <translation>au</translation>
    </message>
    <message>
        <source>Select a request to see its details and the decision explained.</source>
        <translation>Sélectionnez une requête pour voir ses détails et l&apos;explication de la décision.</translation>
    </message>
    <message>
        <source>Any key</source>
        <translation>Toute clé</translation>
    </message>
    <message>
        <source>Any model</source>
        <translation>Tout modèle</translation>
    </message>
    <message>
        <source>Any customer</source>
        <translation>Tout client</translation>
    </message>
    <message>
        <source>No user has the email %1.</source>
        <translation>Aucun utilisateur n&apos;a l&apos;e-mail %1.</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Request %1&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;Requête %1&lt;/h3&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;%1 · &lt;b&gt;%2&lt;/b&gt; · %3 · %4 input (%5 cached) / %6 output tokens · &lt;b&gt;%7&lt;/b&gt;%8%9&lt;/p&gt;</source>
        <translation>&lt;p&gt;%1 · &lt;b&gt;%2&lt;/b&gt; · %3 · %4 jetons d&apos;entrée (%5 en cache) / %6 de sortie · &lt;b&gt;%7&lt;/b&gt;%8%9&lt;/p&gt;</translation>
    </message>
    <message>
        <source> · streamed</source>
        <translation> · en flux</translation>
    </message>
    <message>
        <source> · charged its estimate: the provider reported no usage</source>
        <translation> · facturée à son estimation : le fournisseur n&apos;a pas indiqué d&apos;usage</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Decision:&lt;/b&gt; %1&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Décision :&lt;/b&gt; %1&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Decision:&lt;/b&gt; allowed within every limit in force.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Décision :&lt;/b&gt; autorisée, dans toutes les limites en vigueur.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;The same request now:&lt;/b&gt; %1&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;La même requête maintenant :&lt;/b&gt; %1&lt;/p&gt;</translation>
    </message>
    <message>
        <source>cost</source>
        <translation>coût</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>jetons</translation>
    </message>
    <message>
        <source>requests</source>
        <translation>requêtes</translation>
    </message>
    <message>
        <source>user</source>
        <translation>utilisateur</translation>
    </message>
    <message>
        <source>key</source>
        <translation>clé</translation>
    </message>
    <message>
        <source>project</source>
        <translation>projet</translation>
    </message>
    <message>
        <source>group</source>
        <translation>groupe</translation>
    </message>
    <message>
        <source>organisation</source>
        <translation>organisation</translation>
    </message>
    <message>
        <source>customer</source>
        <translation>client</translation>
    </message>
    <message>
        <source>never</source>
        <translation>jamais</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Limits in force&lt;/b&gt; (the one that binds in bold):&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Limites en vigueur&lt;/b&gt; (celle qui s&apos;applique en gras) :&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>Limite</translation>
    </message>
    <message>
        <source>Set by</source>
        <translation>Définie par</translation>
    </message>
    <message>
        <source>Limit value</source>
        <translation>Valeur</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>Utilisé</translation>
    </message>
    <message>
        <source>Held now</source>
        <translation>Réservé</translation>
    </message>
    <message>
        <source>Left</source>
        <translation>Restant</translation>
    </message>
    <message>
        <source>Resets</source>
        <translation>Réinitialisation</translation>
    </message>
    <message>
        <source>%1, %2: %3 %4</source>
        <translation>%1, %2 : %3 %4</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Model:&lt;/b&gt; asked for as %1, served and priced as %2 by %3&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Modèle :&lt;/b&gt; demandé comme %1, servi et facturé comme %2 par %3&lt;/p&gt;</translation>
    </message>
    <message>
        <source> · estimated: the stream ended without the provider&apos;s final usage (charged what was streamed)</source>
        <translation> · estimé : le flux s&apos;est terminé sans l&apos;usage final du fournisseur (facturé ce qui a été transmis)</translation>
    </message>
    <message>
        <source> · estimated: charged what was streamed</source>
        <translation> · estimé : facturé ce qui a été transmis</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>billed at the long-context tier</source>
        <translation>facturé au palier de contexte long</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Billed as:&lt;/b&gt; %1&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Facturé comme :&lt;/b&gt; %1&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Follow new requests</source>
        <translation>Suivre les nouvelles requêtes</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>Tout afficher</translation>
    </message>
    <message>
        <source>Only requests for %1</source>
        <translation>Seulement les requêtes pour %1</translation>
    </message>
    <message>
        <source>times in %1</source>
        <translation>heures en %1</translation>
    </message>
    <message numerus="yes">
        <source>Only requests for %1: %n request(s)</source>
        <translation>
            <numerusform>Seulement les requêtes pour %1 : %n requête</numerusform>
            <numerusform>Seulement les requêtes pour %1 : %n requêtes</numerusform>
        </translation>
    </message>
    <message>
        <source>No requests match these filters in this time range.</source>
        <translation>Aucune requête ne correspond à ces filtres sur cette période.</translation>
    </message>
</context>
<context>
    <name>tollgate::SecretDialog</name>
    <message>
        <source>API key created</source>
        <translation>Clé d&apos;API créée</translation>
    </message>
    <message>
        <source>&lt;p&gt;The key &lt;b&gt;%1&lt;/b&gt; was created. Its secret is shown &lt;b&gt;only now&lt;/b&gt;: copy it to where it will be used. Tollgate keeps only a hash of it.&lt;/p&gt;</source>
        <translation>&lt;p&gt;La clé &lt;b&gt;%1&lt;/b&gt; a été créée. Son secret n&apos;est affiché &lt;b&gt;que maintenant&lt;/b&gt; : copiez-le là où il servira. Tollgate n&apos;en garde qu&apos;une empreinte.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copier</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>Copié</translation>
    </message>
    <message>
        <source>Clients use it with the base URL &lt;code&gt;%1/v1&lt;/code&gt;.</source>
        <translation>Les clients l&apos;utilisent avec l&apos;URL de base &lt;code&gt;%1/v1&lt;/code&gt;.</translation>
    </message>
</context>
<context>
    <name>tollgate::SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation>Réglages</translation>
    </message>
    <message>
        <source>Organisation</source>
        <translation>Organisation</translation>
    </message>
    <message>
        <source>dollars; empty: no organisation budget</source>
        <translation>dollars ; vide : pas de budget d&apos;organisation</translation>
    </message>
    <message>
        <source>When a request does not fit the limit left, send it with a lower max_tokens instead of refusing it</source>
        <translation>Quand une requête dépasse la limite restante, l&apos;envoyer avec un max_tokens plus bas au lieu de la refuser</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nom :</translation>
    </message>
    <message>
        <source>Time zone:</source>
        <translation>Fuseau horaire :</translation>
    </message>
    <message>
        <source>Monthly budget ($):</source>
        <translation>Budget mensuel ($) :</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Enregistrer</translation>
    </message>
    <message>
        <source>This computer</source>
        <translation>Cet ordinateur</translation>
    </message>
    <message>
        <source>Start Tollgate at login, in the tray</source>
        <translation>Démarrer Tollgate à l&apos;ouverture de session, dans la zone de notification</translation>
    </message>
    <message>
        <source>empty: the embedded database in your data folder; or a file path, or postgresql://user:password@host:5432/name</source>
        <translation>vide : la base intégrée dans votre dossier de données ; ou un chemin de fichier, ou postgresql://utilisateur:motdepasse@hôte:5432/nom</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>Langue :</translation>
    </message>
    <message>
        <source>Database:</source>
        <translation>Base de données :</translation>
    </message>
    <message>
        <source>In use: %1 · %2 usage records</source>
        <translation>En service : %1 · %2 enregistrements d&apos;usage</translation>
    </message>
    <message>
        <source>Not saved: the database: %1</source>
        <translation>Non enregistré : la base de données : %1</translation>
    </message>
    <message>
        <source>Not saved: start at login: %1</source>
        <translation>Non enregistré : démarrage à l&apos;ouverture de session : %1</translation>
    </message>
    <message>
        <source>Saved. The language and the database apply when Tollgate starts again.</source>
        <translation>Enregistré. La langue et la base de données s&apos;appliquent au prochain démarrage de Tollgate.</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Enregistré.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Non enregistré : %1</translation>
    </message>
    <message>
        <source>Not saved: %1 %2</source>
        <translation>Non enregistré : %1 %2</translation>
    </message>
</context>
<context>
    <name>tollgate::TrayController</name>
    <message>
        <source>Gateway not started</source>
        <translation>Passerelle non démarrée</translation>
    </message>
    <message>
        <source>Open console</source>
        <translation>Ouvrir la console</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quitter</translation>
    </message>
    <message>
        <source>No gateway</source>
        <translation>Pas de passerelle</translation>
    </message>
    <message>
        <source>Gateway running at %1 · %2 requests/s</source>
        <translation>Passerelle en marche sur %1 · %2 requêtes/s</translation>
    </message>
    <message>
        <source>Gateway stopped</source>
        <translation>Passerelle arrêtée</translation>
    </message>
    <message>
        <source>Stop gateway</source>
        <translation>Arrêter la passerelle</translation>
    </message>
    <message>
        <source>Start gateway</source>
        <translation>Démarrer la passerelle</translation>
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
        <translation>%1 a atteint sa limite mensuelle : %2 sur %3.</translation>
    </message>
    <message>
        <source>%1 has used %2 % of its monthly limit: %3 of %4.</source>
        <translation>%1 a utilisé %2 % de sa limite mensuelle : %3 sur %4.</translation>
    </message>
    <message>
        <source>Limit reached</source>
        <translation>Limite atteinte</translation>
    </message>
    <message>
        <source>Limit nearly reached</source>
        <translation>Limite presque atteinte</translation>
    </message>
</context>
<context>
    <name>tollgate::Usage</name>
    <message>
        <source>must be after from</source>
        <translation>doit être après le début</translation>
    </message>
    <message>
        <source>must not be negative</source>
        <translation>ne doit pas être négatif</translation>
    </message>
    <message>
        <source>group %1 does not exist</source>
        <translation>le groupe %1 n&apos;existe pas</translation>
    </message>
    <message>
        <source>must be day, week or month</source>
        <translation>doit être jour, semaine ou mois</translation>
    </message>
    <message>
        <source>the range holds more than %1 buckets; choose a coarser granularity or a shorter range</source>
        <translation>la plage compte plus de %1 intervalles ; choisissez une granularité plus grossière ou une plage plus courte</translation>
    </message>
    <message>
        <source>(deleted user %1)</source>
        <translation>(utilisateur supprimé %1)</translation>
    </message>
    <message>
        <source>(no user)</source>
        <translation>(aucun utilisateur)</translation>
    </message>
    <message>
        <source>(deleted key %1)</source>
        <translation>(clé supprimée %1)</translation>
    </message>
    <message>
        <source>(deleted project %1)</source>
        <translation>(projet supprimé %1)</translation>
    </message>
    <message>
        <source>(no customer)</source>
        <translation>(aucun client)</translation>
    </message>
    <message>
        <source>must be user, group, key, project or customer</source>
        <translation>doit être utilisateur, groupe, clé, projet ou client</translation>
    </message>
</context>
<context>
    <name>tollgate::UserDialog</name>
    <message>
        <source>Edit user</source>
        <translation>Modifier l&apos;utilisateur</translation>
    </message>
    <message>
        <source>New user</source>
        <translation>Nouvel utilisateur</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Actif</translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation>Inactif</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nom :</translation>
    </message>
    <message>
        <source>Email:</source>
        <translation>E-mail :</translation>
    </message>
    <message>
        <source>Status:</source>
        <translation>État :</translation>
    </message>
    <message>
        <source>default: %1</source>
        <translation>par défaut : %1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucune</translation>
    </message>
    <message>
        <source>Monthly limit ($):</source>
        <translation>Limite mensuelle ($) :</translation>
    </message>
    <message>
        <source>The name must not be empty.</source>
        <translation>Le nom ne doit pas être vide.</translation>
    </message>
    <message>
        <source>The email must look like name@example.org.</source>
        <translation>L&apos;e-mail doit ressembler à nom@example.org.</translation>
    </message>
    <message>
        <source>monthly limit</source>
        <translation>limite mensuelle</translation>
    </message>
</context>
<context>
    <name>tollgate::UsersModel</name>
    <message>
        <source>Active</source>
        <translation>Actif</translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation>Inactif</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 sur %2</translation>
    </message>
    <message>
        <source>%1 (no limit)</source>
        <translation>%1 (aucune limite)</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Email</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Groups</source>
        <translation>Groupes</translation>
    </message>
    <message>
        <source>Spend this month</source>
        <translation>Dépenses ce mois-ci</translation>
    </message>
</context>
<context>
    <name>tollgate::UsersPage</name>
    <message>
        <source>Users</source>
        <translation>Utilisateurs</translation>
    </message>
    <message>
        <source>Filter by name, email or group</source>
        <translation>Filtrer par nom, e-mail ou groupe</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>Tous les états</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Actif</translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation>Inactif</translation>
    </message>
    <message>
        <source>New user…</source>
        <translation>Nouvel utilisateur…</translation>
    </message>
    <message>
        <source>Add to group</source>
        <translation>Ajouter au groupe</translation>
    </message>
    <message>
        <source>Remove from group</source>
        <translation>Retirer du groupe</translation>
    </message>
    <message>
        <source>Set monthly limit…</source>
        <translation>Définir la limite mensuelle…</translation>
    </message>
    <message>
        <source>Activate</source>
        <translation>Activer</translation>
    </message>
    <message>
        <source>Deactivate</source>
        <translation>Désactiver</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Supprimer…</translation>
    </message>
    <message>
        <source>Default limit for new users…</source>
        <translation>Limite par défaut des nouveaux utilisateurs…</translation>
    </message>
    <message>
        <source>Drop users on a group to add them to it</source>
        <translation>Déposez des utilisateurs sur un groupe pour les y ajouter</translation>
    </message>
    <message numerus="yes">
        <source>%n user(s)</source>
        <translation>
            <numerusform>%n utilisateur</numerusform>
            <numerusform>%n utilisateurs</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n user(s)</source>
        <translation>
            <numerusform>%1 sur %n utilisateur</numerusform>
            <numerusform>%1 sur %n utilisateurs</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>, %n selected</source>
        <translation>
            <numerusform>, %n sélectionné</numerusform>
            <numerusform>, %n sélectionnés</numerusform>
        </translation>
    </message>
    <message>
        <source>No groups yet</source>
        <translation>Pas encore de groupes</translation>
    </message>
    <message>
        <source>Monthly limit</source>
        <translation>Limite mensuelle</translation>
    </message>
    <message numerus="yes">
        <source>Monthly spending limit for %n user(s), in dollars (empty: no personal limit):</source>
        <translation>
            <numerusform>Limite de dépenses mensuelle pour %n utilisateur, en dollars (vide : pas de limite personnelle) :</numerusform>
            <numerusform>Limite de dépenses mensuelle pour %n utilisateurs, en dollars (vide : pas de limite personnelle) :</numerusform>
        </translation>
    </message>
    <message>
        <source>monthly limit</source>
        <translation>limite mensuelle</translation>
    </message>
    <message>
        <source>Nothing changed: %1</source>
        <translation>Rien n&apos;a changé : %1</translation>
    </message>
    <message numerus="yes">
        <source>Setting the monthly limit of %n user(s)…</source>
        <translation>
            <numerusform>Définition de la limite mensuelle de %n utilisateur…</numerusform>
            <numerusform>Définition de la limite mensuelle de %n utilisateurs…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Monthly limit %1 set for %n user(s).</source>
        <translation>
            <numerusform>Limite mensuelle %1 définie pour %n utilisateur.</numerusform>
            <numerusform>Limite mensuelle %1 définie pour %n utilisateurs.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Personal monthly limit removed for %n user(s).</source>
        <translation>
            <numerusform>Limite mensuelle personnelle retirée pour %n utilisateur.</numerusform>
            <numerusform>Limite mensuelle personnelle retirée pour %n utilisateurs.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Activating %n user(s)…</source>
        <translation>
            <numerusform>Activation de %n utilisateur…</numerusform>
            <numerusform>Activation de %n utilisateurs…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deactivating %n user(s)…</source>
        <translation>
            <numerusform>Désactivation de %n utilisateur…</numerusform>
            <numerusform>Désactivation de %n utilisateurs…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n user(s) activated.</source>
        <translation>
            <numerusform>%n utilisateur activé.</numerusform>
            <numerusform>%n utilisateurs activés.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n user(s) deactivated.</source>
        <translation>
            <numerusform>%n utilisateur désactivé.</numerusform>
            <numerusform>%n utilisateurs désactivés.</numerusform>
        </translation>
    </message>
    <message>
        <source>Default monthly limit</source>
        <translation>Limite mensuelle par défaut</translation>
    </message>
    <message>
        <source>Monthly limit given to users created from now on, in dollars (empty: none):</source>
        <translation>Limite mensuelle donnée aux utilisateurs créés désormais, en dollars (vide : aucune) :</translation>
    </message>
    <message>
        <source>default monthly limit</source>
        <translation>limite mensuelle par défaut</translation>
    </message>
    <message>
        <source>New users get a monthly limit of %1.</source>
        <translation>Les nouveaux utilisateurs reçoivent une limite mensuelle de %1.</translation>
    </message>
    <message>
        <source>New users get no personal monthly limit.</source>
        <translation>Les nouveaux utilisateurs ne reçoivent pas de limite mensuelle personnelle.</translation>
    </message>
    <message>
        <source>User created.</source>
        <translation>Utilisateur créé.</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Enregistré.</translation>
    </message>
    <message>
        <source>Delete users</source>
        <translation>Supprimer les utilisateurs</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n user(s)? Their keys stop working; their usage records stay.</source>
        <translation>
            <numerusform>Supprimer %n utilisateur ? Ses clés cessent de fonctionner ; ses enregistrements d&apos;usage sont conservés.</numerusform>
            <numerusform>Supprimer %n utilisateurs ? Leurs clés cessent de fonctionner ; leurs enregistrements d&apos;usage sont conservés.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleting %n user(s)…</source>
        <translation>
            <numerusform>Suppression de %n utilisateur…</numerusform>
            <numerusform>Suppression de %n utilisateurs…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n user(s) deleted.</source>
        <translation>
            <numerusform>%n utilisateur supprimé.</numerusform>
            <numerusform>%n utilisateurs supprimés.</numerusform>
        </translation>
    </message>
    <message>
        <source>No users yet: New user… adds one.</source>
        <translation>Pas encore d&apos;utilisateurs : Nouvel utilisateur… en ajoute un.</translation>
    </message>
    <message>
        <source>Nobody matches the filter.</source>
        <translation>Personne ne correspond au filtre.</translation>
    </message>
</context>
<context>
    <name>tollgate::UsersView</name>
    <message numerus="yes">
        <source>+%n users</source>
        <translation>
            <numerusform>+%n utilisateur</numerusform>
            <numerusform>+%n utilisateurs</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>tollgate::Window</name>
    <message>
        <source>per minute</source>
        <translation>par minute</translation>
    </message>
    <message>
        <source>per hour</source>
        <translation>par heure</translation>
    </message>
    <message>
        <source>daily</source>
        <translation>quotidien</translation>
    </message>
    <message>
        <source>weekly</source>
        <translation>hebdomadaire</translation>
    </message>
    <message>
        <source>monthly</source>
        <translation>mensuel</translation>
    </message>
    <message>
        <source>yearly</source>
        <translation>annuel</translation>
    </message>
    <message>
        <source>custom period</source>
        <translation>période personnalisée</translation>
    </message>
    <message>
        <source>lifetime</source>
        <translation>total</translation>
    </message>
</context>
<context>
    <name>tollgate::dialogs</name>
    <message>
        <source>Unsaved changes</source>
        <translation>Changements non enregistrés</translation>
    </message>
</context>
<context>
    <name>tollgate::format</name>
    <message>
        <source>unlimited</source>
        <translation>illimité</translation>
    </message>
    <message>
        <source>%1 tokens</source>
        <translation>%1 jetons</translation>
    </message>
    <message>
        <source>%1 requests</source>
        <translation>%1 requêtes</translation>
    </message>
    <message>
        <source>tier %1</source>
        <translation>niveau %1</translation>
    </message>
    <message>
        <source>must be a whole number</source>
        <translation>doit être un nombre entier</translation>
    </message>
    <message>
        <source>must be between %1 and %2</source>
        <translation>doit être entre %1 et %2</translation>
    </message>
    <message>
        <source>must not be negative</source>
        <translation>ne doit pas être négatif</translation>
    </message>
    <message>
        <source>has more than one decimal separator &apos;%1&apos;</source>
        <translation>a plus d&apos;un séparateur décimal « %1 »</translation>
    </message>
    <message>
        <source>a space</source>
        <translation>une espace</translation>
    </message>
    <message>
        <source>%1: write %2</source>
        <translation>%1 : écrivez %2</translation>
    </message>
    <message>
        <source>has a thousands separator %1 after the decimals</source>
        <translation>a un séparateur de milliers %1 après les décimales</translation>
    </message>
    <message>
        <source>is not an amount: &apos;%1&apos;</source>
        <translation>n&apos;est pas un montant : « %1 »</translation>
    </message>
    <message>
        <source>cannot be read here: %1 separates the decimals and %2 the thousands</source>
        <translation>ne peut pas être lu ici : %1 sépare les décimales et %2 les milliers</translation>
    </message>
    <message>
        <source>cannot be read: %1 separates thousands here, so it must be followed by three digits</source>
        <translation>ne peut pas être lu : %1 sépare ici les milliers, il doit donc être suivi de trois chiffres</translation>
    </message>
</context>
<context>
    <name>tollgate::preferences</name>
    <message>
        <source>System language</source>
        <translation>Langue du système</translation>
    </message>
    <message>
        <source>Windows did not accept the change to the Run key.</source>
        <translation>Windows n&apos;a pas accepté la modification de la clé Run.</translation>
    </message>
    <message>
        <source>Cannot remove %1.</source>
        <translation>Impossible de supprimer %1.</translation>
    </message>
    <message>
        <source>Cannot create the folder of %1.</source>
        <translation>Impossible de créer le dossier de %1.</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d&apos;écrire %1 : %2</translation>
    </message>
    <message>
        <source>LLM gateway and spending console, in the tray</source>
        <translation>Passerelle LLM et console des dépenses, dans la zone de notification</translation>
    </message>
</context>
<context>
    <name>tollgate::screenshots</name>
    <message>
        <source>cannot create the folder %1</source>
        <translation>impossible de créer le dossier %1</translation>
    </message>
    <message>
        <source>cannot write %1</source>
        <translation>impossible d&apos;écrire %1</translation>
    </message>
</context>
</TS>
