<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
  <context>
    <name>EitSynergies</name>
    <message>
      <location filename="../eit_plugin.py" />
      <source>&amp;EIT Synergies</source>
      <translation>&amp;EIT Synergies</translation>
    </message>
    <message>
      <location filename="../eit_plugin.py" />
      <source>EIT Synergies tools</source>
      <translation>Outils EIT Synergies</translation>
    </message>
    <message>
      <location filename="../eit_plugin.py" />
      <source>Open the EIT Synergies algorithms in the Processing toolbox</source>
      <translation>Ouvrir les algorithmes EIT Synergies dans la boîte à outils de traitements</translation>
    </message>
    <message>
      <location filename="../eit_plugin.py" />
      <location filename="../processing/provider.py" />
      <source>EIT Synergies</source>
      <translation>EIT Synergies</translation>
    </message>
    <message>
      <location filename="../eit_plugin.py" />
      <source>Some Python libraries are missing: {modules}. Install them with: {command}</source>
      <translation>Des bibliothèques Python manquent : {modules}. Installez-les avec : {command}</translation>
    </message>
    <message>
      <location filename="../layers/styles.py" />
      <source>Other</source>
      <translation>Autre</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Build supply and need layers</source>
      <translation>Construire les couches de gisements et de besoins</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Reads the actors table and the flow table (input/output balance of each actor) and builds two point layers: supplies (gisements) and needs (besoins), each flow placed at its actor. Tables: CSV (comma or semicolon, UTF-8 or Latin-1, decimal comma accepted), XLSX, ODS, GeoPackage or a layer; column names in French or English. Resources are catalogue codes or 6-digit European List of Waste codes; quantities are converted to yearly normalised units (t/yr, MWh/yr, m3/yr, h/yr, units/yr). Actors without a geometry are placed from their coordinates, else at their commune. Rows that cannot be used go to the rejected table with their row number, values and reason: rows read = rows used + rows rejected.</source>
      <translation>Lit la table des acteurs et la table des flux (bilan entrant/sortant de chaque acteur) et construit deux couches de points : les gisements et les besoins, chaque flux placé à son acteur. Tables : CSV (virgule ou point-virgule, UTF-8 ou Latin-1, virgule décimale acceptée), XLSX, ODS, GeoPackage ou une couche ; noms de colonnes en français ou en anglais. Les ressources sont des codes du catalogue ou des codes déchets à 6 chiffres de la liste européenne ; les quantités sont converties en unités annuelles normalisées (t/an, MWh/an, m3/an, h/an, unités/an). Les acteurs sans géométrie sont placés d'après leurs coordonnées, sinon à leur commune. Les lignes inutilisables vont dans la table des rejets avec leur numéro de ligne, leurs valeurs et le motif : lignes lues = lignes utilisées + lignes rejetées.</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Output CRS</source>
      <translation>SCR de sortie</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Rejected rows</source>
      <translation>Lignes rejetées</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Actors table</source>
      <translation>Table des acteurs</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Flows table (input/output balances)</source>
      <translation>Table des flux (bilans entrant/sortant)</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Actor id column (actors)</source>
      <translation>Colonne identifiant d'acteur (acteurs)</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Actor id column (flows)</source>
      <translation>Colonne identifiant d'acteur (flux)</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Direction column</source>
      <translation>Colonne sens</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Resource column</source>
      <translation>Colonne ressource</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Quantity column</source>
      <translation>Colonne quantité</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Unit column</source>
      <translation>Colonne unité</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Supplies (gisements)</source>
      <translation>Gisements</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Needs (besoins)</source>
      <translation>Besoins</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>{n} flows have no position (their actor has no geometry): {ids}</source>
      <translation>{n} flux n'ont pas de position (leur acteur n'a pas de géométrie) : {ids}</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <source>Find mutualisation groups</source>
      <translation>Trouver les groupes de mutualisation</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <source>Groups actors that have the same mutualisation need (a service, equipment, a purchase, skills or space) and are close to each other: every two members of a group are within MAX_DISTANCE_KM (0 = the resource's default distance), and a group has at least MIN_ACTORS actors. Each group is a polygon around its members with the member list, the combined quantity and the resource; actors that offer that equipment or service nearby (supplies layer) are attached as providers.</source>
      <translation>Regroupe les acteurs proches les uns des autres qui ont le même besoin mutualisable (un service, un équipement, un achat, des compétences ou de l'espace) : deux membres d'un groupe sont toujours à moins de MAX_DISTANCE_KM (0 = distance par défaut de la ressource), et un groupe compte au moins MIN_ACTORS acteurs. Chaque groupe est un polygone autour de ses membres, avec la liste des membres, la quantité cumulée et la ressource ; les acteurs qui offrent cet équipement ou ce service à proximité (couche des gisements) sont rattachés comme fournisseurs.</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <source>Mutualisation groups</source>
      <translation>Groupes de mutualisation</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <source>Supplies (gisements), for providers</source>
      <translation>Gisements (pour les fournisseurs)</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <source>Maximum distance between members (km, 0 = each resource's default)</source>
      <translation>Distance maximale entre membres (km, 0 = distance par défaut de chaque ressource)</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <source>Minimum number of actors in a group</source>
      <translation>Nombre minimal d'acteurs dans un groupe</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Find substitution synergies</source>
      <translation>Trouver les synergies de substitution</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>For every supply, finds the needs it can feed (same resource, or a compatible one from the compatibility table) within a distance: MAX_DISTANCE_KM, or when 0 the default distance of each supply resource in the catalogue. Distances are measured in Lambert-93 (EPSG:2154), along the road network when one is given (the snapping distance of each end is reported; a pair the network does not connect keeps its straight-line distance, with a note). Each candidate is a line from the supplier to the receiver with its score (0-1) and the score's parts: compatibility, quantity coverage, distance, season overlap; and its impact figures (tonnes diverted, tonne-km, CO2 of transport). With ALLOCATE, competing supplies and needs share quantities optimally (most quantity exchanged, then least tonne-km, linear programme solved by HiGHS).</source>
      <translation>Pour chaque gisement, trouve les besoins qu'il peut alimenter (même ressource, ou ressource compatible selon la table de compatibilité) dans une distance : MAX_DISTANCE_KM, ou si 0 la distance par défaut de chaque ressource du catalogue. Les distances sont mesurées en Lambert-93 (EPSG:2154), le long du réseau routier s'il est fourni (la distance d'accrochage de chaque extrémité est indiquée ; une paire que le réseau ne relie pas garde sa distance à vol d'oiseau, avec une note). Chaque candidate est une ligne du fournisseur vers le receveur avec son score (0-1) et les parts du score : compatibilité, couverture des quantités, distance, recouvrement des saisons ; et ses indicateurs d'impact (tonnes détournées, tonnes-km, CO2 du transport). Avec ALLOCATE, gisements et besoins concurrents se partagent les quantités de façon optimale (quantité échangée maximale, puis tonnes-km minimales, programme linéaire résolu par HiGHS).</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Largest snapping distance to the network (m)</source>
      <translation>Distance d'accrochage au réseau maximale (m)</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Flows not matched (no position)</source>
      <translation>Flux non appariés (sans position)</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Synergy candidates</source>
      <translation>Synergies candidates</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Maximum distance (km, 0 = each resource's default)</source>
      <translation>Distance maximale (km, 0 = distance par défaut de chaque ressource)</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Road network (optional, for road distances)</source>
      <translation>Réseau routier (facultatif, pour les distances par la route)</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Allocate quantities optimally</source>
      <translation>Répartir les quantités de façon optimale</translation>
    </message>
    <message>
      <location filename="../processing/base.py" />
      <source>Data preparation</source>
      <translation>Préparation des données</translation>
    </message>
    <message>
      <location filename="../processing/base.py" />
      <source>Synergies</source>
      <translation>Synergies</translation>
    </message>
    <message>
      <location filename="../processing/base.py" />
      <source>Reports</source>
      <translation>Rapports</translation>
    </message>
    <message>
      <location filename="../processing/base.py" />
      <source>Workflow</source>
      <translation>Chaîne complète</translation>
    </message>
    <message>
      <location filename="../processing/inputs.py" />
      <source>{read} rows read = {used} used ({supply} supplies, {need} needs) + {rejected} rejected</source>
      <translation>{read} lignes lues = {used} utilisées ({supply} gisements, {need} besoins) + {rejected} rejetées</translation>
    </message>
    <message>
      <location filename="../processing/inputs.py" />
      <source>Resource catalogue (extends the built-in one)</source>
      <translation>Catalogue de ressources (complète celui de l'extension)</translation>
    </message>
    <message>
      <location filename="../processing/inputs.py" />
      <source>Compatibility table (extends the built-in one)</source>
      <translation>Table de compatibilité (complète celle de l'extension)</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: required column missing: {missing}. Accepted names: {expected}. Columns found: {found}.</source>
      <translation>{file} : colonne obligatoire absente : {missing}. Noms acceptés : {expected}. Colonnes trouvées : {found}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: the file is empty (no data row).</source>
      <translation>{file} : le fichier est vide (aucune ligne de données).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: file not found.</source>
      <translation>{file} : fichier introuvable.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: the file cannot be read ({detail}).</source>
      <translation>{file} : le fichier ne peut pas être lu ({detail}).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: the text encoding is neither UTF-8 nor Latin-1.</source>
      <translation>{file} : l'encodage du texte n'est ni UTF-8 ni Latin-1.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: not a table or a layer.</source>
      <translation>{file} : ce n'est ni une table ni une couche.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: actor ids must be unique; duplicated: {ids} (rows {rows}). Nothing was written.</source>
      <translation>{file} : les identifiants d'acteurs doivent être uniques ; en double : {ids} (lignes {rows}). Rien n'a été écrit.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}, row {row}, field {field}: {detail}</source>
      <translation>{file}, ligne {row}, champ {field} : {detail}</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Unknown resource code {text}. Closest: {suggestions}.</source>
      <translation>Code de ressource inconnu {text}. Les plus proches : {suggestions}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Invalid coordinate reference system: {crs}.</source>
      <translation>Système de coordonnées de référence invalide : {crs}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The actor id is empty.</source>
      <translation>L'identifiant d'acteur est vide.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The actor of the flow is empty.</source>
      <translation>L'acteur du flux est vide.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The actor {value} is not in the actors table.</source>
      <translation>L'acteur {value} n'est pas dans la table des acteurs.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The direction (supply or need) is empty.</source>
      <translation>Le sens (gisement ou besoin) est vide.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Direction {value} not understood: write supply (gisement, sortant, offre) or need (besoin, entrant, demande).</source>
      <translation>Sens {value} non compris : écrire gisement (sortant, offre) ou besoin (entrant, demande).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The resource code is empty.</source>
      <translation>Le code de ressource est vide.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Unknown resource code {value}; closest entries: {suggestions}.</source>
      <translation>Code de ressource inconnu {value} ; entrées les plus proches : {suggestions}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The quantity {value} is not a number.</source>
      <translation>La quantité {value} n'est pas un nombre.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The quantity {value} is negative.</source>
      <translation>La quantité {value} est négative.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Unknown unit {value}.</source>
      <translation>Unité inconnue {value}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The unit {value} does not fit this resource ({detail}).</source>
      <translation>L'unité {value} ne convient pas à cette ressource ({detail}).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Months {value} not understood (write e.g. 3-10 or 1,2,3).</source>
      <translation>Mois {value} non compris (écrire par exemple 3-10 ou 1,2,3).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Year {value} not understood.</source>
      <translation>Année {value} non comprise.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The flow id {value} is used by several rows.</source>
      <translation>L'identifiant de flux {value} est utilisé par plusieurs lignes.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Input problem ({code}): {message}</source>
      <translation>Problème dans les données ({code}) : {message}</translation>
    </message>
    <message>
      <location filename="../processing/provider.py" />
      <source>EIT Synergies (industrial and territorial ecology) {version}</source>
      <translation>EIT Synergies (écologie industrielle et territoriale) {version}</translation>
    </message>
    <message>
      <location filename="../processing/provider.py" />
      <source>Algorithm {alg} is not available: install {modules} ({command}).</source>
      <translation>L'algorithme {alg} n'est pas disponible : installez {modules} ({command}).</translation>
    </message>
  </context>
</TS>
