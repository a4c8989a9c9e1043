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
      <source>Install</source>
      <translation>Installer</translation>
    </message>
    <message>
      <location filename="../eit_plugin.py" />
      <source>installation canceled</source>
      <translation>installation annulée</translation>
    </message>
    <message>
      <location filename="../eit_plugin.py" />
      <source>pip failed, see the EIT Synergies log</source>
      <translation>pip a échoué, voir le journal EIT Synergies</translation>
    </message>
    <message>
      <location filename="../eit_plugin.py" />
      <source>The libraries are installed: every algorithm is available.</source>
      <translation>Les bibliothèques sont installées : tous les algorithmes sont disponibles.</translation>
    </message>
    <message>
      <location filename="../eit_plugin.py" />
      <source>Some Python libraries are missing: {modules}. Install them with: {command}</source>
      <translation>Des bibliothèques Python manquent : {modules}. Installez-les avec : {command}</translation>
    </message>
    <message>
      <location filename="../eit_plugin.py" />
      <source>The libraries were not installed: {reason}.</source>
      <translation>Les bibliothèques n'ont pas été installées : {reason}.</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Actors and flows: territory survey. Made with EIT Synergies for QGIS.</source>
      <translation>Acteurs et flux : enquête du territoire. Réalisé avec EIT Synergies pour QGIS.</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Resources (● supply, ■ need)</source>
      <translation>Ressources (● gisement, ■ besoin)</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/project.py" />
      <location filename="../layers/regional.py" />
      <location filename="../layers/summary.py" />
      <location filename="../ui/dock_layout.py" />
      <location filename="../ui/dock_modes.py" />
      <source>Actors</source>
      <translation>Acteurs</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/project.py" />
      <location filename="../layers/regional.py" />
      <location filename="../layers/summary.py" />
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Synergy candidates</source>
      <translation>Synergies candidates</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Candidate</source>
      <translation>Piste</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/project.py" />
      <location filename="../layers/summary.py" />
      <location filename="../ui/dock_layout.py" />
      <source>Status</source>
      <translation>Statut</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/project.py" />
      <location filename="../layers/regional.py" />
      <source>Family</source>
      <translation>Famille</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/project.py" />
      <location filename="../layers/summary.py" />
      <source>Supplier</source>
      <translation>Fournisseur</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Supplier's commune</source>
      <translation>Commune du fournisseur</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Resource supplied</source>
      <translation>Ressource fournie</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/project.py" />
      <location filename="../layers/summary.py" />
      <source>Receiver</source>
      <translation>Receveur</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Receiver's commune</source>
      <translation>Commune du receveur</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Resource needed</source>
      <translation>Ressource recherchée</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/project.py" />
      <location filename="../layers/summary.py" />
      <source>Distance (km)</source>
      <translation>Distance (km)</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Distance (class)</source>
      <translation>Distance (classe)</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Quantity that can move</source>
      <translation>Quantité mobilisable</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Quantity (text or class)</source>
      <translation>Quantité (texte ou classe)</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../ui/flow_form.py" />
      <source>Unit</source>
      <translation>Unité</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/project.py" />
      <source>Share of the need covered</source>
      <translation>Part du besoin couverte</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Share of the need (text or class)</source>
      <translation>Part du besoin (texte ou classe)</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/project.py" />
      <location filename="../layers/summary.py" />
      <location filename="../ui/dock_layout.py" />
      <source>Score</source>
      <translation>Score</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Why it fits</source>
      <translation>Pourquoi ça colle</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Tonnes diverted per year</source>
      <translation>Tonnes détournées par an</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>CO₂ avoided (t/yr)</source>
      <translation>CO₂ évité (t/an)</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>CO₂ avoided (text or class)</source>
      <translation>CO₂ évité (texte ou classe)</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Open questions</source>
      <translation>Questions ouvertes</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Confidential (masked)</source>
      <translation>Confidentiel (masqué)</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/project.py" />
      <location filename="../layers/summary.py" />
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <source>Mutualisation groups</source>
      <translation>Groupes de mutualisation</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Communes</source>
      <translation>Communes</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <location filename="../layers/regional.py" />
      <source>Territory</source>
      <translation>Territoire</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Synergy candidates of the territory, one page per synergy</source>
      <translation>Pistes de synergies du territoire, une fiche par synergie</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Synergy candidates of the territory, one page per actor</source>
      <translation>Pistes de synergies du territoire, une fiche par acteur</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Synergy candidates of the territory, one page per resource family</source>
      <translation>Pistes de synergies du territoire, une fiche par famille de ressources</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Sources: {sources}.</source>
      <translation>Sources : {sources}.</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>industrial and territorial ecology</source>
      <translation>écologie industrielle et territoriale</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>synergies</source>
      <translation>synergies</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Page</source>
      <translation>Page</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>{actors} actors, {candidates} synergy candidates</source>
      <translation>{actors} acteurs, {candidates} pistes de synergies</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Public version: confidential flows masked</source>
      <translation>Version publique : flux confidentiels masqués</translation>
    </message>
    <message>
      <location filename="../layers/atlas.py" />
      <source>Confidential working document: do not distribute</source>
      <translation>Document de travail confidentiel : ne pas diffuser</translation>
    </message>
    <message>
      <location filename="../layers/atlas_data.py" />
      <source>commune boundaries © IGN – Admin Express</source>
      <translation>limites communales © IGN – Admin Express</translation>
    </message>
    <message>
      <location filename="../layers/atlas_data.py" />
      <source>communes INSEE (COG)</source>
      <translation>communes INSEE (COG)</translation>
    </message>
    <message>
      <location filename="../layers/atlas_data.py" />
      <source>road distances © OpenStreetMap contributors</source>
      <translation>distances routières © les contributeurs d'OpenStreetMap</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>This atlas presents the synergy candidates found between the supplies (what actors have: by-products, waste, surplus heat, equipment) and the needs of the territory's actors. A candidate is a proposal to be checked with the actors; its score (0 to 1) combines the compatibility of the resources, the share of the need covered, the distance and the season.</source>
      <translation>Cet atlas présente les pistes de synergies repérées entre les gisements (ce dont les acteurs disposent : coproduits, déchets, chaleur fatale, équipements) et les besoins des acteurs du territoire. Chaque piste est une proposition à vérifier avec les acteurs ; son score (de 0 à 1) combine la compatibilité des ressources, la part du besoin couverte, la distance et la saisonnalité.</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Working document: it contains confidential data (names, quantities and positions of confidential flows). Do not distribute.</source>
      <translation>Document de travail : il contient des données confidentielles (noms, quantités et positions des flux confidentiels). Ne pas diffuser.</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>n/a</source>
      <translation>n.c.</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Supplies and needs by resource family</source>
      <translation>Gisements et besoins par famille de ressources</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Synergy candidates by status</source>
      <translation>Pistes de synergies par statut</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Open questions: not published (confidential flow).</source>
      <translation>Questions ouvertes : non publiées (flux confidentiel).</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>by road</source>
      <translation>par la route</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>as the crow flies</source>
      <translation>à vol d'oiseau</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>{n} flows: {total}</source>
      <translation>{n} flux : {total}</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/summary.py" />
      <source>Metabolism of the territory</source>
      <translation>Métabolisme du territoire</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Flows behind the synergy</source>
      <translation>Flux concernés</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Score parts (0 to 1)</source>
      <translation>Composantes du score (de 0 à 1)</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Estimated impacts</source>
      <translation>Impacts estimés</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Public version: {n} confidential flows appear without the actor's name, with a size class instead of the quantity and at the centre of their commune; totals marked * leave their quantities out.</source>
      <translation>Version publique : {n} flux confidentiels figurent sans le nom de l'acteur, avec une classe de taille au lieu de la quantité et au centre de leur commune ; les totaux marqués * n'incluent pas leurs quantités.</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Open questions: none noted yet.</source>
      <translation>Questions ouvertes : aucune notée pour l'instant.</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Confidential flow: the actor's name, the quantities and the exact position are not published (size classes, centre of the commune).</source>
      <translation>Flux confidentiel : le nom de l'acteur, les quantités et la position exacte ne sont pas publiés (classes de taille, centre de la commune).</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Confidential actor: its name, its quantities and its exact position are not published (size classes, centre of the commune).</source>
      <translation>Acteur confidentiel : son nom, ses quantités et sa position exacte ne sont pas publiés (classes de taille, centre de la commune).</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Actor profile</source>
      <translation>Fiche acteur</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>mutualisation groups</source>
      <translation>groupes de mutualisation</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../processing/alg_exportatlas.py" />
      <source>Resource family</source>
      <translation>Famille de ressources</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/project.py" />
      <location filename="../ui/flow_form.py" />
      <source>Resource</source>
      <translation>Ressource</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../ui/dock_layout.py" />
      <location filename="../ui/flow_form.py" />
      <source>Quantity</source>
      <translation>Quantité</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Months</source>
      <translation>Mois</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/regional.py" />
      <location filename="../layers/summary.py" />
      <source>Supplies</source>
      <translation>Gisements</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/regional.py" />
      <location filename="../layers/summary.py" />
      <source>Needs</source>
      <translation>Besoins</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>… and {n} more</source>
      <translation>… et {n} autres</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>One page per synergy candidate ({n} pages)</source>
      <translation>Une fiche par piste de synergie ({n} fiches)</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>One page per actor ({n} pages)</source>
      <translation>Une fiche par acteur ({n} fiches)</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>One page per resource family ({n} pages)</source>
      <translation>Une fiche par famille de ressources ({n} fiches)</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../ui/charts.py" />
      <source>number of flows</source>
      <translation>nombre de flux</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Why it fits: {explanation}</source>
      <translation>Pourquoi ça colle : {explanation}</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Tonnes diverted from disposal</source>
      <translation>Tonnes détournées de l'élimination</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Road transport</source>
      <translation>Transport routier</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>CO₂ emitted by the transport</source>
      <translation>CO₂ émis par le transport</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>CO₂ avoided (heat replacing gas)</source>
      <translation>CO₂ évité (chaleur remplaçant du gaz)</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../ui/dock_layout.py" />
      <source>Distance</source>
      <translation>Distance</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Some flows of this actor are confidential: not shown here.</source>
      <translation>Certains flux de cet acteur sont confidentiels : ils ne figurent pas ici.</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Mutualisation</source>
      <translation>Mutualisation</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Substitution</source>
      <translation>Substitution</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/summary.py" />
      <source>Number</source>
      <translation>Nombre</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Quantity they can move</source>
      <translation>Quantité mobilisable</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Supplies and needs by resource</source>
      <translation>Gisements et besoins par ressource</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Totals by resource</source>
      <translation>Totaux par ressource</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Flows</source>
      <translation>Flux</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>actors</source>
      <translation>acteurs</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>supplies</source>
      <translation>gisements</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>needs</source>
      <translation>besoins</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>synergy candidates</source>
      <translation>pistes de synergies</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>t/yr that they can move</source>
      <translation>t/an mobilisables</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>MWh/yr that they can move</source>
      <translation>MWh/an mobilisables</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>{tkm} t·km avoided</source>
      <translation>{tkm} t·km évitées</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Open questions: {notes}</source>
      <translation>Questions ouvertes : {notes}</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../ui/dock_layout.py" />
      <source>Compatibility</source>
      <translation>Compatibilité</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Need covered</source>
      <translation>Besoin couvert</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Proximity</source>
      <translation>Proximité</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../ui/dock_layout.py" />
      <source>Season</source>
      <translation>Saison</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Synergy {n} / {total} · {status}</source>
      <translation>Synergie {n} / {total} · {status}</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>{resource} ({n} actors)</source>
      <translation>{resource} ({n} acteurs)</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Mutualisation: {items}.</source>
      <translation>Mutualisation : {items}.</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>* Totals and charts add up the published quantities only: {n} confidential flows of this family are counted but their quantities are left out.</source>
      <translation>* Les totaux et le graphique n'additionnent que les quantités publiées : {n} flux confidentiels de cette famille sont comptés mais leurs quantités ne sont pas incluses.</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Group: {resource}, {n} actors: {members}.</source>
      <translation>Groupe : {resource}, {n} acteurs : {members}.</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>{unit} that can move</source>
      <translation>{unit} mobilisables</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>{supplies} supplies, {needs} needs, {candidates} synergy candidates, {groups} mutualisation groups</source>
      <translation>{supplies} gisements, {needs} besoins, {candidates} pistes de synergies, {groups} groupes de mutualisation</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Role</source>
      <translation>Rôle</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/project.py" />
      <location filename="../processing/alg_exportatlas.py" />
      <location filename="../ui/flow_form.py" />
      <source>Actor</source>
      <translation>Acteur</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Indicator</source>
      <translation>Indicateur</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Value</source>
      <translation>Valeur</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>score (0 to 1)</source>
      <translation>score (de 0 à 1)</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>of the need covered</source>
      <translation>du besoin couvert</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <source>Partner</source>
      <translation>Partenaire</translation>
    </message>
    <message>
      <location filename="../layers/atlas_pages.py" />
      <location filename="../layers/project.py" />
      <location filename="../processing/alg_copyworkspace.py" />
      <location filename="../ui/flow_form.py" />
      <source>Direction</source>
      <translation>Sens</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>The BAN API cannot be reached: check the network connection.</source>
      <translation>L'API BAN est injoignable : vérifiez la connexion réseau.</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>Addresses (BAN, IGN Géoplateforme)</source>
      <translation>Adresses (BAN, Géoplateforme de l'IGN)</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>Matched</source>
      <translation>Localisé</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>Approximate (to review)</source>
      <translation>Approximatif (à vérifier)</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>Not placed</source>
      <translation>Non localisé</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>Addresses (BAN)</source>
      <translation>Adresses (BAN)</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>house number</source>
      <translation>numéro</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>street</source>
      <translation>voie</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>locality</source>
      <translation>lieu-dit</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>municipality</source>
      <translation>commune</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>given</source>
      <translation>fourni</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>The BAN API answered HTTP {status}.</source>
      <translation>L'API BAN a répondu HTTP {status}.</translation>
    </message>
    <message>
      <location filename="../layers/geocoder.py" />
      <source>BAN, {precision}, score {score}</source>
      <translation>BAN, précision : {precision}, score {score}</translation>
    </message>
    <message>
      <location filename="../layers/metabolism_view.py" />
      <source>Today</source>
      <translation>Aujourd'hui</translation>
    </message>
    <message>
      <location filename="../layers/metabolism_view.py" />
      <source>After the synergies to pursue</source>
      <translation>Après les synergies à poursuivre</translation>
    </message>
    <message>
      <location filename="../layers/metabolism_view.py" />
      <source>From outside</source>
      <translation>De l'extérieur</translation>
    </message>
    <message>
      <location filename="../layers/metabolism_view.py" />
      <source>From the territory</source>
      <translation>Du territoire</translation>
    </message>
    <message>
      <location filename="../layers/metabolism_view.py" />
      <source>Origin not stated</source>
      <translation>Provenance non renseignée</translation>
    </message>
    <message>
      <location filename="../layers/metabolism_view.py" />
      <source>Used in the territory</source>
      <translation>Utilisé dans le territoire</translation>
    </message>
    <message>
      <location filename="../layers/metabolism_view.py" />
      <source>Leaving the territory</source>
      <translation>Sortant du territoire</translation>
    </message>
    <message>
      <location filename="../layers/metabolism_view.py" />
      <source>Destination not stated</source>
      <translation>Destination non renseignée</translation>
    </message>
    <message>
      <location filename="../layers/metabolism_view.py" />
      <source>Local loop rate: {rate}</source>
      <translation>Taux de bouclage local : {rate}</translation>
    </message>
    <message>
      <location filename="../layers/metabolism_view.py" />
      <source>No flow in this unit</source>
      <translation>Aucun flux dans cette unité</translation>
    </message>
    <message>
      <location filename="../layers/precedents_text.py" />
      <source>Documented precedents: none in the built-in table.</source>
      <translation>Retours d'expérience : aucun cas dans la table intégrée.</translation>
    </message>
    <message>
      <location filename="../layers/precedents_text.py" />
      <source>Documented precedents ({n}): {cases}</source>
      <translation>Retours d'expérience ({n}) : {cases}</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Company</source>
      <translation>Entreprise</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Farm</source>
      <translation>Exploitation agricole</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Care home (EHPAD)</source>
      <translation>EHPAD</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Hospital</source>
      <translation>Hôpital</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Social-integration structure</source>
      <translation>Structure d'insertion</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Public body</source>
      <translation>Collectivité, organisme public</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Association</source>
      <translation>Association</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Laboratory</source>
      <translation>Laboratoire</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Farm machinery cooperative (CUMA)</source>
      <translation>CUMA</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../processing/alg_buildflowlayers.py" />
      <location filename="../processing/inputs.py" />
      <source>Supplies (gisements)</source>
      <translation>Gisements</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../processing/alg_buildflowlayers.py" />
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <location filename="../processing/inputs.py" />
      <source>Needs (besoins)</source>
      <translation>Besoins</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Rejected rows</source>
      <translation>Lignes rejetées</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Flows not matched (no position)</source>
      <translation>Flux non appariés (sans position)</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Territory (communes)</source>
      <translation>Territoire (communes)</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Resource catalogue</source>
      <translation>Catalogue des ressources</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Compatibility table</source>
      <translation>Table de compatibilité</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Runs</source>
      <translation>Exécutions</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../layers/regional.py" />
      <source>Decisions</source>
      <translation>Décisions</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Flow id</source>
      <translation>Identifiant du flux</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Actor id</source>
      <translation>Identifiant de l'acteur</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Actor category</source>
      <translation>Catégorie d'acteur</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../ui/flow_form.py" />
      <source>Name</source>
      <translation>Nom</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Category</source>
      <translation>Catégorie</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Resource (label)</source>
      <translation>Ressource (libellé)</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Type of synergy</source>
      <translation>Type de synergie</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Quantity (as given)</source>
      <translation>Quantité (telle que saisie)</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Unit (as given)</source>
      <translation>Unité (telle que saisie)</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Quantity (normalised)</source>
      <translation>Quantité (normalisée)</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Normalised unit</source>
      <translation>Unité normalisée</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../ui/flow_form.py" />
      <source>Months available</source>
      <translation>Mois de disponibilité</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Confidential</source>
      <translation>Confidentiel</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Candidate id</source>
      <translation>Identifiant de la synergie</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Exchanged quantity</source>
      <translation>Quantité échangée</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Open questions / notes</source>
      <translation>Questions ouvertes / notes</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Geocoding status</source>
      <translation>Statut du géocodage</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Geocoding score</source>
      <translation>Score du géocodage</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Geocoding precision</source>
      <translation>Précision du géocodage</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Geocoding method</source>
      <translation>Méthode de géocodage</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Members</source>
      <translation>Membres</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Number of actors</source>
      <translation>Nombre d'acteurs</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Combined quantity</source>
      <translation>Quantité cumulée</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../processing/alg_exportatlas.py" />
      <source>Proposed</source>
      <translation>Proposée</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../layers/regional.py" />
      <location filename="../ui/dock_layout.py" />
      <source>To pursue</source>
      <translation>À poursuivre</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../layers/regional.py" />
      <source>To explore further</source>
      <translation>À approfondir</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../layers/regional.py" />
      <location filename="../ui/dock_layout.py" />
      <source>Set aside</source>
      <translation>Écartée</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>EIT report, A4 landscape</source>
      <translation>Rapport EIT, A4 paysage</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>EIT report, A4 portrait</source>
      <translation>Rapport EIT, A4 portrait</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Workshop map</source>
      <translation>Carte de l'atelier</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Tables</source>
      <translation>Tables</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <location filename="../layers/styles.py" />
      <location filename="../layers/workspace.py" />
      <source>Other</source>
      <translation>Autre</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>EIT Synergies workspace</source>
      <translation>Espace de travail EIT Synergies</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Actor's supplies</source>
      <translation>Gisements de l'acteur</translation>
    </message>
    <message>
      <location filename="../layers/project.py" />
      <source>Actor's needs</source>
      <translation>Besoins de l'acteur</translation>
    </message>
    <message>
      <location filename="../layers/regional.py" />
      <source>Regional network</source>
      <translation>Réseau régional</translation>
    </message>
    <message>
      <location filename="../layers/regional.py" />
      <source>No territory is readable with this role.</source>
      <translation>Aucun territoire n'est lisible avec ce rôle.</translation>
    </message>
    <message>
      <location filename="../layers/regional.py" />
      <source>Network totals</source>
      <translation>Totaux du réseau</translation>
    </message>
    <message>
      <location filename="../layers/regional.py" />
      <source>{n} territories readable in {database} on {day}. Confidential actors and flows are masked as in the public atlas.</source>
      <translation>{n} territoires lisibles dans {database} le {day}. Les acteurs et flux confidentiels sont masqués comme dans l'atlas public.</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>EIT Synergies — summary of the run</source>
      <translation>EIT Synergies — synthèse de l'exécution</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <location filename="../processing/summaries.py" />
      <source>Synergies to pursue</source>
      <translation>Synergies à poursuivre</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <location filename="../processing/summaries.py" />
      <source>Synergies to explore</source>
      <translation>Synergies à explorer</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>t/yr</source>
      <translation>t/an</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>MWh/yr</source>
      <translation>MWh/an</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Tonnes per year offered</source>
      <translation>Tonnes par an disponibles</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>MWh per year offered</source>
      <translation>MWh par an disponibles</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Tonnes per year in candidates</source>
      <translation>Tonnes par an dans les synergies candidates</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>MWh per year in candidates</source>
      <translation>MWh par an dans les synergies candidates</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Candidates to pursue</source>
      <translation>Synergies à poursuivre</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Tonnes per year diverted by retained synergies</source>
      <translation>Tonnes par an détournées par les synergies retenues</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Local loop rate of tonnes, today</source>
      <translation>Taux de bouclage local des tonnes, aujourd'hui</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Local loop rate of tonnes after the synergies to pursue</source>
      <translation>Taux de bouclage local des tonnes après les synergies à poursuivre</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Local loop rate of MWh, today</source>
      <translation>Taux de bouclage local des MWh, aujourd'hui</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Local loop rate of MWh after the synergies to pursue</source>
      <translation>Taux de bouclage local des MWh après les synergies à poursuivre</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Figure</source>
      <translation>Indicateur</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>This run</source>
      <translation>Cette exécution</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>What enters from outside, circulates in the territory and leaves it, by the current origins and destinations of the flows, today and once the synergies to pursue are in place. Local loop rate: share of the supplies used in the territory.</source>
      <translation>Ce qui entre depuis l'extérieur, circule dans le territoire et en sort, d'après les provenances et destinations actuelles des flux, aujourd'hui et une fois les synergies à poursuivre en place. Taux de bouclage local : part des gisements utilisée dans le territoire.</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Previous run</source>
      <translation>Exécution précédente</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Key figures</source>
      <translation>Chiffres clés</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Transport avoided against today</source>
      <translation>Transport évité par rapport à aujourd'hui</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Best synergy candidates</source>
      <translation>Meilleures synergies candidates</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Local loop rate</source>
      <translation>Taux de bouclage local</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Public version: confidential flows appear without name or quantity.</source>
      <translation>Version publique : les flux confidentiels apparaissent sans nom ni quantité.</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Tonne-kilometres and CO2 of road transport avoided per year by the synergies whose supply's current destination or need's current origin is known (negative: the synergy is farther than today).</source>
      <translation>Tonnes-kilomètres et CO2 du transport routier évités chaque année par les synergies dont la destination actuelle du gisement ou la provenance actuelle du besoin est connue (négatif : la synergie est plus lointaine qu'aujourd'hui).</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Synergies with a confidential side are left out.</source>
      <translation>Les synergies dont un côté est confidentiel ne sont pas comptées.</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Date of the run: {date}</source>
      <translation>Date de l'exécution : {date}</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Rows read: {read}, used: {used}, rejected: {rejected}.</source>
      <translation>Lignes lues : {read}, utilisées : {used}, rejetées : {rejected}.</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>{n} confidential flows are left out of these figures.</source>
      <translation>{n} flux confidentiels ne sont pas comptés dans ces chiffres.</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <location filename="../processing/base.py" />
      <location filename="../ui/dock_layout.py" />
      <source>Synergies</source>
      <translation>Synergies</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>t·km avoided</source>
      <translation>t·km évitées</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>t CO2e avoided</source>
      <translation>t CO2e évitées</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Resources</source>
      <translation>Ressources</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>Quantity per year</source>
      <translation>Quantité par an</translation>
    </message>
    <message>
      <location filename="../layers/summary.py" />
      <source>{resource}: {n} actors within {km} km</source>
      <translation>{resource} : {n} acteurs à moins de {km} km</translation>
    </message>
    <message>
      <location filename="../layers/workspace.py" />
      <location filename="../ui/dock.py" />
      <location filename="../ui/workshop.py" />
      <source>EIT workshop</source>
      <translation>Atelier EIT</translation>
    </message>
    <message>
      <location filename="../layers/workspace.py" />
      <source>No category</source>
      <translation>Sans catégorie</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Build supply and need layers</source>
      <translation>Construire les couches de gisements et de besoins</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>Reads the actors table and the flow table (input/output balance of each actor) and builds two point layers: supplies (gisements) and needs (besoins), each flow placed at its actor. Tables: CSV (comma or semicolon, UTF-8 or Latin-1, decimal comma accepted), XLSX, ODS, GeoPackage or a layer; column names in French or English. Resources are catalogue codes or 6-digit European List of Waste codes; quantities are converted to yearly normalised units (t/yr, MWh/yr, m3/yr, h/yr, units/yr). Actors without a geometry are placed from their coordinates, else at their commune. Rows that cannot be used go to the rejected table with their row number, values and reason: rows read = rows used + rows rejected. Where a flow comes from or goes today (columns provenance/origin for a need, destination for a supply: an actor id, an INSEE code or commune name, 'lon lat' coordinates or a facility of the FACILITIES table; or distance_actuelle_km) gives current_place, current_distance_km and current_outside (outside the TERRITORY's communes); a place that cannot be found goes to the rejected table with row_kept = true and the flow still counts.</source>
      <translation>Lit la table des acteurs et la table des flux (bilan entrées/sorties de chaque acteur) et construit deux couches de points : les gisements et les besoins, chaque flux placé sur son acteur. Tables : CSV (virgule ou point-virgule, UTF-8 ou Latin-1, virgule décimale acceptée), XLSX, ODS, GeoPackage ou une couche ; noms de colonnes en français ou en anglais. Les ressources sont des codes du catalogue ou des codes à 6 chiffres de la liste européenne des déchets ; les quantités sont converties en unités annuelles normalisées (t/an, MWh/an, m3/an, h/an, unités/an). Les acteurs sans géométrie sont placés d'après leurs coordonnées, sinon sur leur commune. Les lignes inutilisables vont dans la table des lignes rejetées avec leur numéro de ligne, leurs valeurs et la raison : lignes lues = lignes utilisées + lignes rejetées. D'où vient ou où part aujourd'hui un flux (colonnes provenance/origin pour un besoin, destination pour un gisement : un identifiant d'acteur, un code INSEE ou un nom de commune, des coordonnées « lon lat » ou une installation de la table FACILITIES ; ou distance_actuelle_km) donne current_place, current_distance_km et current_outside (hors des communes du TERRITORY) ; un lieu introuvable va dans la table des lignes rejetées avec row_kept = vrai et le flux reste compté.</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Output CRS</source>
      <translation>SCR de sortie</translation>
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
      <location filename="../processing/alg_runpipeline.py" />
      <source>Communes of the territory</source>
      <translation>Communes du territoire</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <location filename="../processing/alg_runpipeline.py" />
      <source>Named facilities for origins and destinations (name, longitude, latitude)</source>
      <translation>Installations nommées pour les provenances et destinations (nom, longitude, latitude)</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>{n} flows have no position (their actor has no geometry): {ids}</source>
      <translation>{n} flux n'ont pas de position (leur acteur n'a pas de géométrie) : {ids}</translation>
    </message>
    <message>
      <location filename="../processing/alg_buildflowlayers.py" />
      <source>{n} origin, destination or current distance values cannot be used (see the rejected table, row_kept = true); their flows are kept.</source>
      <translation>{n} valeurs de provenance, de destination ou de distance actuelle sont inutilisables (voir la table des lignes rejetées, row_kept = vrai) ; leurs flux sont gardés.</translation>
    </message>
    <message>
      <location filename="../processing/alg_copyworkspace.py" />
      <source>Copy a workspace (GeoPackage ↔ PostgreSQL)</source>
      <translation>Copier un espace de travail (GeoPackage ↔ PostgreSQL)</translation>
    </message>
    <message>
      <location filename="../processing/alg_copyworkspace.py" />
      <source>DIRECTION 0: copies every table of a workspace GeoPackage (eit.gpkg) into a PostgreSQL schema, decisions log included, with the public-safe views, in one transaction (a failure leaves the schema as it was). DIRECTION 1: copies a schema's workspace into a new GeoPackage (OUTPUT), written whole before it replaces the file.</source>
      <translation>DIRECTION 0 : copie toutes les tables d'un GeoPackage d'espace de travail (eit.gpkg) dans un schéma PostgreSQL, journal des décisions compris, avec les vues publiables, en une seule transaction (en cas d'échec, le schéma reste tel qu'il était). DIRECTION 1 : copie l'espace de travail d'un schéma dans un nouveau GeoPackage (OUTPUT), écrit en entier avant de remplacer le fichier.</translation>
    </message>
    <message>
      <location filename="../processing/alg_copyworkspace.py" />
      <source>Workspace GeoPackage (eit.gpkg)</source>
      <translation>GeoPackage de l'espace de travail (eit.gpkg)</translation>
    </message>
    <message>
      <location filename="../processing/alg_copyworkspace.py" />
      <location filename="../processing/alg_grantaccess.py" />
      <location filename="../processing/alg_regionalsummary.py" />
      <location filename="../processing/alg_runpipeline.py" />
      <source>PostgreSQL database (postgresql:// address or QGIS connection name)</source>
      <translation>Base de données PostgreSQL (adresse postgresql:// ou nom de connexion QGIS)</translation>
    </message>
    <message>
      <location filename="../processing/alg_copyworkspace.py" />
      <location filename="../processing/alg_grantaccess.py" />
      <source>Schema of the territory</source>
      <translation>Schéma du territoire</translation>
    </message>
    <message>
      <location filename="../processing/alg_copyworkspace.py" />
      <source>GeoPackage written (schema → GeoPackage)</source>
      <translation>GeoPackage écrit (schéma → GeoPackage)</translation>
    </message>
    <message>
      <location filename="../processing/alg_copyworkspace.py" />
      <source>GeoPackage (*.gpkg)</source>
      <translation>GeoPackage (*.gpkg)</translation>
    </message>
    <message>
      <location filename="../processing/alg_copyworkspace.py" />
      <source>GeoPackage → PostgreSQL schema</source>
      <translation>GeoPackage → schéma PostgreSQL</translation>
    </message>
    <message>
      <location filename="../processing/alg_copyworkspace.py" />
      <source>PostgreSQL schema → GeoPackage</source>
      <translation>Schéma PostgreSQL → GeoPackage</translation>
    </message>
    <message>
      <location filename="../processing/alg_copyworkspace.py" />
      <source>{n} tables copied into {target}</source>
      <translation>{n} tables copiées dans {target}</translation>
    </message>
    <message>
      <location filename="../processing/alg_downloadban.py" />
      <source>Download a BAN address file</source>
      <translation>Télécharger un fichier d'adresses BAN</translation>
    </message>
    <message>
      <location filename="../processing/alg_downloadban.py" />
      <source>Downloads the Base Adresse Nationale file of one département (adresses-XX.csv.gz, from adresse.data.gouv.fr) into a folder, for the offline geocoding of 'Geocode actors' (local BAN file). Only the name of the file is asked for: nothing about the actors leaves the machine. The file is written only when complete; a canceled or failed download leaves nothing behind. Data: Base Adresse Nationale, Licence Ouverte / Open Licence 2.0 (Etalab).</source>
      <translation>Télécharge le fichier de la Base Adresse Nationale d'un département (adresses-XX.csv.gz, sur adresse.data.gouv.fr) dans un dossier, pour le géocodage hors ligne de « Géocoder les acteurs » (fichier BAN local). Seul le nom du fichier est demandé : rien sur les acteurs ne quitte la machine. Le fichier n'est écrit qu'une fois complet ; un téléchargement annulé ou échoué ne laisse rien derrière lui. Données : Base Adresse Nationale, Licence Ouverte / Open Licence 2.0 (Etalab).</translation>
    </message>
    <message>
      <location filename="../processing/alg_downloadban.py" />
      <source>Download site address</source>
      <translation>Adresse du site de téléchargement</translation>
    </message>
    <message>
      <location filename="../processing/alg_downloadban.py" />
      <source>Département code (e.g. 58, 2A, 971)</source>
      <translation>Code du département (par ex. 58, 2A, 971)</translation>
    </message>
    <message>
      <location filename="../processing/alg_downloadban.py" />
      <source>Folder for the BAN file</source>
      <translation>Dossier du fichier BAN</translation>
    </message>
    <message>
      <location filename="../processing/alg_downloadban.py" />
      <source>BAN file</source>
      <translation>Fichier BAN</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Atlas of the industrial and territorial ecology synergies</source>
      <translation>Atlas des synergies d'écologie industrielle et territoriale</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Export the synergy atlas (PDF)</source>
      <translation>Exporter l'atlas des synergies (PDF)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Writes a PDF atlas for reports and elected officials: a cover with the territory's key figures (actors, supplies and needs by family, synergy candidates by status, tonnes and MWh they can move) and its map, then one page per synergy candidate (its flows, score parts, impact figures, status and open questions), per actor (its supplies, needs and candidates) or per resource family (every supply and need of the family, totals and a chart). Each page has a map, an overview of the territory, a legend, a scale bar, a north arrow, page numbers, the date and the data sources. Public version (on by default): a confidential flow appears without the actor's name (its category instead), with a size class instead of its quantity and at the centre of its commune; its quantities are left out of totals and charts, its notes are not printed; nothing confidential goes into the text, the tables, the map labels or the PDF's properties. The same rules apply to the optional synergy table (CSV, XLSX) and the map image for slides (PNG). Give the actors table to name confidential actors by their NAF activity and to place them by their INSEE code.</source>
      <translation>Produit un atlas PDF pour les rapports et les élus : une couverture avec les chiffres clés du territoire (acteurs, gisements et besoins par famille, pistes de synergies par statut, tonnes et MWh mobilisables) et sa carte, puis une fiche par piste de synergie (ses flux, les composantes du score, les impacts, le statut et les questions ouvertes), par acteur (ses gisements, ses besoins et ses pistes) ou par famille de ressources (tous les gisements et besoins de la famille, les totaux et un graphique). Chaque fiche a une carte, une carte de situation du territoire, une légende, une échelle, une flèche du nord, la pagination, la date et les sources des données. Version publique (activée par défaut) : un flux confidentiel figure sans le nom de l'acteur (sa catégorie à la place), avec une classe de taille au lieu de sa quantité et au centre de sa commune ; ses quantités sont exclues des totaux et des graphiques, ses notes ne sont pas imprimées ; rien de confidentiel n'apparaît dans le texte, les tableaux, les étiquettes de la carte ou les propriétés du PDF. Les mêmes règles s'appliquent au tableau des synergies (CSV, XLSX) et à l'image de carte pour diaporama (PNG), facultatifs. Donnez la table des acteurs pour désigner les acteurs confidentiels par leur activité NAF et les placer d'après leur code INSEE.</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>The French translation is not compiled: the report is in English.</source>
      <translation>La traduction française n'est pas compilée : le rapport est en anglais.</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Synergy candidates (lines)</source>
      <translation>Pistes de synergies (lignes)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Mutualisation groups (polygons)</source>
      <translation>Groupes de mutualisation (polygones)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Communes of the territory (polygons)</source>
      <translation>Communes du territoire (polygones)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>One page per</source>
      <translation>Une fiche par</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Public version (confidential flows masked)</source>
      <translation>Version publique (flux confidentiels masqués)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Title (empty: the default title)</source>
      <translation>Titre (vide : le titre par défaut)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Name of the territory (on the cover)</source>
      <translation>Nom du territoire (sur la couverture)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Actors table (NAF activity and INSEE code)</source>
      <translation>Table des acteurs (activité NAF et code INSEE)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Candidates shown (by status)</source>
      <translation>Pistes présentées (selon leur statut)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Page layout</source>
      <translation>Mise en page</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Language of the report</source>
      <translation>Langue du rapport</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Own layout template (.qpt with the eit_ items)</source>
      <translation>Modèle de mise en page personnel (.qpt avec les éléments eit_)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Sources line (empty: written from the inputs)</source>
      <translation>Ligne des sources (vide : rédigée d'après les données)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Atlas (PDF)</source>
      <translation>Atlas (PDF)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Synergy table (CSV)</source>
      <translation>Tableau des synergies (CSV)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Synergy table (XLSX)</source>
      <translation>Tableau des synergies (XLSX)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Map image for slides (PNG)</source>
      <translation>Image de carte pour diaporama (PNG)</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Pages of the atlas</source>
      <translation>Pages de l'atlas</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Confidential flows masked</source>
      <translation>Flux confidentiels masqués</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>{pages} pages written to {file}; {masked} confidential flows masked.</source>
      <translation>{pages} pages écrites dans {file} ; {masked} flux confidentiels masqués.</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Synergy candidate</source>
      <translation>Piste de synergie</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Retained</source>
      <translation>Retenue</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>To explore</source>
      <translation>À explorer</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>Rejected</source>
      <translation>Écartée</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>A4 landscape</source>
      <translation>A4 paysage</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>A4 portrait</source>
      <translation>A4 portrait</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>French</source>
      <translation>Français</translation>
    </message>
    <message>
      <location filename="../processing/alg_exportatlas.py" />
      <source>English</source>
      <translation>Anglais</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>The BAN API method sends the address text, postcode and INSEE code of each actor to the IGN Géoplateforme (data.geopf.fr); names, SIRET numbers and flows never leave the machine.</source>
      <translation>La méthode API BAN envoie le texte de l'adresse, le code postal et le code INSEE de chaque acteur à la Géoplateforme de l'IGN (data.geopf.fr) ; les noms, les numéros SIRET et les flux ne quittent jamais la machine.</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <location filename="../processing/messages.py" />
      <source>The local BAN file method needs a BAN file (BAN_FILE): download one with 'Download a BAN address file'.</source>
      <translation>La méthode « fichier BAN local » demande un fichier BAN (BAN_FILE) : téléchargez-en un avec « Télécharger un fichier d'adresses BAN ».</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Geocode actors</source>
      <translation>Géocoder les acteurs</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>The Nominatim method sends the address text, postcode and commune of each actor to {host} (OpenStreetMap data), one address a second; names, SIRET numbers and flows never leave the machine.</source>
      <translation>La méthode Nominatim envoie le texte de l'adresse, le code postal et la commune de chaque acteur à {host} (données OpenStreetMap), une adresse par seconde ; les noms, les numéros SIRET et les flux ne quittent jamais la machine.</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Address column</source>
      <translation>Colonne de l'adresse</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Postcode column</source>
      <translation>Colonne du code postal</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Commune column</source>
      <translation>Colonne de la commune</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>INSEE code column</source>
      <translation>Colonne du code INSEE</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>SIRET column</source>
      <translation>Colonne du SIRET</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Longitude column (WGS84)</source>
      <translation>Colonne de la longitude (WGS84)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Latitude column (WGS84)</source>
      <translation>Colonne de la latitude (WGS84)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Geocoded actors</source>
      <translation>Acteurs géocodés</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>BAN file: {n} unusable lines skipped.</source>
      <translation>Fichier BAN : {n} lignes inutilisables ignorées.</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>BAN API: {n} rows missing from the answer, sent again by {size}.</source>
      <translation>API BAN : {n} lignes absentes de la réponse, renvoyées par paquets de {size}.</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>BAN API: {n} rows never came back; they are left unmatched (run again later).</source>
      <translation>API BAN : {n} lignes ne sont jamais revenues ; elles restent non localisées (relancez plus tard).</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>BAN file saved: {path}</source>
      <translation>Fichier BAN enregistré : {path}</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>The BAN index could not be saved ({detail}); it will be rebuilt next time.</source>
      <translation>L'index BAN n'a pas pu être enregistré ({detail}) ; il sera reconstruit la prochaine fois.</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Places every actor of the actors table on the map and says how well: geo_status (matched, approximate, unmatched), geo_score (0-1), geo_method, geo_precision (housenumber, street, locality, municipality, given), geo_label, geo_reason, geo_review. Every input row comes out once with all its fields; a row that cannot be placed keeps an empty geometry and the reason.</source>
      <translation>Place chaque acteur de la table des acteurs sur la carte et dit avec quelle qualité : geo_status (matched = localisé, approximate = approximatif, unmatched = non localisé), geo_score (0-1), geo_method, geo_precision (housenumber = numéro, street = voie, locality = lieu-dit, municipality = commune, given = coordonnées fournies), geo_label, geo_reason, geo_review. Chaque ligne de la table ressort une fois avec tous ses champs ; une ligne impossible à placer garde une géométrie vide et la raison.</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Methods: automatic (coordinates given, then the local BAN file, then the SIRENE file by SIRET, then the commune centroid; nothing leaves the machine), local BAN file only, BAN API of the IGN Géoplateforme, Nominatim, commune centroid only. Coordinates given in the table (WGS84 longitude/latitude) are always kept.</source>
      <translation>Méthodes : automatique (coordonnées fournies, puis fichier BAN local, puis fichier SIRENE par le SIRET, puis centroïde de la commune ; rien ne quitte la machine), fichier BAN local seul, API BAN de la Géoplateforme de l'IGN, Nominatim, centroïde de la commune seul. Les coordonnées fournies dans la table (longitude/latitude WGS84) sont toujours conservées.</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Review: rows scored below the review threshold, or placed at their commune, have geo_review = true and a magenta outline. Move such a point by hand in QGIS and set its geo_method to given: when this layer is geocoded again, that position is kept.</source>
      <translation>Vérification : les lignes dont le score est sous le seuil de vérification, ou placées à leur commune, ont geo_review = true et un contour magenta. Déplacez un tel point à la main dans QGIS et mettez son geo_method à given : quand cette couche est géocodée à nouveau, cette position est conservée.</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <location filename="../processing/inputs.py" />
      <source>Actors table</source>
      <translation>Table des acteurs</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>BAN address file (adresses-XX.csv.gz)</source>
      <translation>Fichier d'adresses BAN (adresses-XX.csv.gz)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Geolocated SIRENE establishments file</source>
      <translation>Fichier SIRENE des établissements géolocalisés</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Communes table (INSEE code, name, postcodes, centroid), outside the Nièvre</source>
      <translation>Table des communes (code INSEE, nom, codes postaux, centroïde), hors de la Nièvre</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Review threshold (rows scored below it are flagged)</source>
      <translation>Seuil de vérification (les lignes au score inférieur sont signalées)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>BAN API address</source>
      <translation>Adresse de l'API BAN</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Nominatim address (empty: the QGIS default service)</source>
      <translation>Adresse de Nominatim (vide : le service par défaut de QGIS)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Rows read</source>
      <translation>Lignes lues</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Rows matched</source>
      <translation>Lignes localisées</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Rows placed approximately</source>
      <translation>Lignes placées approximativement</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Rows not placed</source>
      <translation>Lignes non localisées</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Rows flagged for review</source>
      <translation>Lignes à vérifier</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>BAN files (*.csv *.csv.gz *.gz);;All files (*)</source>
      <translation>Fichiers BAN (*.csv *.csv.gz *.gz);;Tous les fichiers (*)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>CSV files (*.csv *.csv.gz *.gz);;All files (*)</source>
      <translation>Fichiers CSV (*.csv *.csv.gz *.gz);;Tous les fichiers (*)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>CSV files (*.csv);;All files (*)</source>
      <translation>Fichiers CSV (*.csv);;Tous les fichiers (*)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>{source}: {read} rows read: {matched} matched, {approximate} approximate, {unmatched} not placed; {review} flagged for review (geo_review).</source>
      <translation>{source} : {read} lignes lues : {matched} localisées, {approximate} approximatives, {unmatched} non localisées ; {review} à vérifier (geo_review).</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Automatic: coordinates given, local BAN file, SIRENE file, commune</source>
      <translation>Automatique : coordonnées fournies, fichier BAN local, fichier SIRENE, commune</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Local BAN file (offline)</source>
      <translation>Fichier BAN local (hors ligne)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>BAN API of the IGN Géoplateforme (online)</source>
      <translation>API BAN de la Géoplateforme de l'IGN (en ligne)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Nominatim, OpenStreetMap (online, one address a second)</source>
      <translation>Nominatim, OpenStreetMap (en ligne, une adresse par seconde)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Commune centroid (offline)</source>
      <translation>Centroïde de la commune (hors ligne)</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Placed by: {methods}.</source>
      <translation>Placés par : {methods}.</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>{n} points of the layer kept as placed (geo_method = given).</source>
      <translation>{n} points de la couche conservés tels quels (geo_method = given).</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>Row {row}{actor} not placed: {reason}</source>
      <translation>Ligne {row}{actor} non localisée : {reason}</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>… and {n} more rows not placed.</source>
      <translation>… et {n} autres lignes non localisées.</translation>
    </message>
    <message>
      <location filename="../processing/alg_geocodeactors.py" />
      <source>BAN API address: {url}</source>
      <translation>Adresse de l'API BAN : {url}</translation>
    </message>
    <message>
      <location filename="../processing/alg_grantaccess.py" />
      <source>Grant access to a territory's schema</source>
      <translation>Donner accès au schéma d'un territoire</translation>
    </message>
    <message>
      <location filename="../processing/alg_grantaccess.py" />
      <source>Gives a PostgreSQL role, created beforehand by the administrator, its access to the workspace of one territory. ACCESS 0, the territory's team: read and write every table of the schema (decisions, notes, flows). ACCESS 1, the region: read only the schema's views (v_acteurs, v_flux, v_synergies, v_mutualisations, v_decisions, v_familles), in which confidential actors and flows are masked as in the public atlas; every base table answers 'permission denied'. The database enforces it: a role with no grant reads nothing. Whatever the role had on the schema before is replaced. Run it as the owner of the schema's tables.</source>
      <translation>Donne à un rôle PostgreSQL, créé au préalable par l'administrateur, son accès à l'espace de travail d'un territoire. ACCESS 0, l'équipe du territoire : lecture et écriture de toutes les tables du schéma (décisions, notes, flux). ACCESS 1, la région : lecture seule des vues du schéma (v_acteurs, v_flux, v_synergies, v_mutualisations, v_decisions, v_familles), où les acteurs et flux confidentiels sont masqués comme dans l'atlas public ; toute table du schéma répond « permission denied ». C'est la base qui l'impose : un rôle sans droit ne lit rien. Ce que le rôle avait sur le schéma est remplacé. À lancer avec le rôle propriétaire des tables du schéma.</translation>
    </message>
    <message>
      <location filename="../processing/alg_grantaccess.py" />
      <source>PostgreSQL role</source>
      <translation>Rôle PostgreSQL</translation>
    </message>
    <message>
      <location filename="../processing/alg_grantaccess.py" />
      <source>Access</source>
      <translation>Accès</translation>
    </message>
    <message>
      <location filename="../processing/alg_grantaccess.py" />
      <source>Access granted</source>
      <translation>Accès donné</translation>
    </message>
    <message>
      <location filename="../processing/alg_grantaccess.py" />
      <source>The territory's team (read and write)</source>
      <translation>L'équipe du territoire (lecture et écriture)</translation>
    </message>
    <message>
      <location filename="../processing/alg_grantaccess.py" />
      <source>The region (public-safe views, read only)</source>
      <translation>La région (vues publiables, lecture seule)</translation>
    </message>
    <message>
      <location filename="../processing/alg_grantaccess.py" />
      <source>{role}: read and write on the schema {schema}</source>
      <translation>{role} : lecture et écriture sur le schéma {schema}</translation>
    </message>
    <message>
      <location filename="../processing/alg_grantaccess.py" />
      <source>{role}: read only on the public-safe views of {schema}</source>
      <translation>{role} : lecture seule des vues publiables de {schema}</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <source>Find mutualisation groups</source>
      <translation>Trouver les groupes de mutualisation</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <source>Groups actors that have the same mutualisation need (a service, equipment, a purchase, skills or space) and are close to each other: every two members of a group are within MAX_DISTANCE_KM (0 = the resource's default distance), and a group has at least MIN_ACTORS actors. Each group is a polygon around its members with the member list, the combined quantity and the resource; actors that offer that equipment or service nearby (supplies layer) are attached as providers. From the supplies layer, actors sending the same resource to the same far destination today (outside the territory or beyond the distance; columns destination / current place of the flow table) form shared-collection groups (kind = shared_collection, with the destination and its mean distance).</source>
      <translation>Regroupe les acteurs qui ont le même besoin de mutualisation (un service, un équipement, un achat, des compétences ou un espace) et sont proches les uns des autres : deux membres d'un groupe sont toujours à moins de MAX_DISTANCE_KM (0 = la distance par défaut de la ressource), et un groupe compte au moins MIN_ACTORS acteurs. Chaque groupe est un polygone autour de ses membres, avec la liste des membres, la quantité cumulée et la ressource ; les acteurs qui proposent cet équipement ou ce service à proximité (couche des gisements) y sont rattachés comme fournisseurs. Depuis la couche des gisements, les acteurs qui envoient aujourd'hui la même ressource vers la même destination lointaine (hors du territoire ou au-delà de la distance ; colonne destination, lieu actuel de la table des flux) forment des groupes de collecte partagée (kind = shared_collection, avec la destination et sa distance moyenne).</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <source>Supplies (gisements), for providers</source>
      <translation>Gisements (pour les fournisseurs)</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <location filename="../processing/alg_runpipeline.py" />
      <source>Maximum distance between members (km, 0 = each resource's default)</source>
      <translation>Distance maximale entre membres (km, 0 = distance par défaut de chaque ressource)</translation>
    </message>
    <message>
      <location filename="../processing/alg_mutualisationcandidates.py" />
      <location filename="../processing/alg_runpipeline.py" />
      <source>Minimum number of actors in a group</source>
      <translation>Nombre minimal d'acteurs dans un groupe</translation>
    </message>
    <message>
      <location filename="../processing/alg_regionalsummary.py" />
      <source>Regional network summary</source>
      <translation>Synthèse du réseau régional</translation>
    </message>
    <message>
      <location filename="../processing/alg_regionalsummary.py" />
      <source>Actors, supplies, needs, synergy candidates (by status) and decisions by territory and resource family, across every territory's schema that the connected role may read. Only the public-safe views are read: the region's role (eit:grantaccess, ACCESS 1) is enough. Writes a table and an html page.</source>
      <translation>Acteurs, gisements, besoins, synergies (par statut) et décisions par territoire et par famille de ressources, sur tous les schémas de territoire que le rôle connecté peut lire. Seules les vues publiables sont lues : le rôle de la région (eit:grantaccess, ACCESS 1) suffit. Écrit une table et une page html.</translation>
    </message>
    <message>
      <location filename="../processing/alg_regionalsummary.py" />
      <source>Regional summary</source>
      <translation>Synthèse régionale</translation>
    </message>
    <message>
      <location filename="../processing/alg_regionalsummary.py" />
      <source>Regional page</source>
      <translation>Page régionale</translation>
    </message>
    <message>
      <location filename="../processing/alg_regionalsummary.py" />
      <source>HTML files (*.html)</source>
      <translation>Fichiers HTML (*.html)</translation>
    </message>
    <message>
      <location filename="../processing/alg_regionalsummary.py" />
      <source>{n} territories read: {names}</source>
      <translation>{n} territoires lus : {names}</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Run the whole EIT job</source>
      <translation>Lancer la démarche EIT complète</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>From an actors table and a flows table: geocodes the actors (coordinates given, then the local BAN file when given, then the commune), builds the supply and need layers, finds the substitution synergies (each flow's TOP_K best, 10 by default; 0 keeps every pair within the distance) with optimal allocation and the mutualisation groups, computes the impact figures, and writes into the output folder: eit.gpkg (every layer, rejected rows, catalogue, run record), eit.qgz (a QGIS project ready for the workshop), atlas.pdf and synthese.html. Rerunning on the same folder with updated tables keeps every status, note and manual placement (geo_method = given) of what still exists, and reports what is new, changed and gone. A cancelled run leaves the previous outputs untouched. With DATABASE (postgresql://user:[password]@host:port/database, or the name of a QGIS PostgreSQL connection) and SCHEMA, the workspace tables go to that PostGIS schema instead of eit.gpkg, in one transaction, with public-safe views; eit.qgz then points at them.</source>
      <translation>À partir d'une table des acteurs et d'une table des flux : géocode les acteurs (coordonnées fournies, puis fichier BAN local s'il est donné, puis commune), construit les couches de gisements et de besoins, trouve les synergies de substitution (les TOP_K meilleures de chaque flux, 10 par défaut ; 0 garde toutes les paires dans la distance) avec répartition optimale et les groupes de mutualisation, calcule les indicateurs d'impact, et écrit dans le dossier de sortie : eit.gpkg (toutes les couches, les lignes rejetées, le catalogue, la trace de l'exécution), eit.qgz (un projet QGIS prêt pour l'atelier), atlas.pdf et synthese.html. Relancer sur le même dossier avec des tables mises à jour conserve chaque statut, note et placement manuel (geo_method = given) de ce qui existe encore, et indique ce qui est nouveau, modifié ou disparu. Une exécution annulée laisse intacts les résultats précédents. Avec DATABASE (postgresql://utilisateur:[motdepasse]@serveur:port/base, ou le nom d'une connexion PostgreSQL de QGIS) et SCHEMA, les tables de l'espace de travail vont dans ce schéma PostGIS au lieu d'eit.gpkg, en une seule transaction, avec des vues publiables ; eit.qgz pointe alors vers elles.</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Local BAN address file (adresses-XX.csv.gz)</source>
      <translation>Fichier d'adresses BAN local (adresses-XX.csv.gz)</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Public outputs (confidential flows masked)</source>
      <translation>Sorties publiques (flux confidentiels masqués)</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Local SIRENE extract (geolocated)</source>
      <translation>Extrait SIRENE local (géolocalisé)</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Maximum distance (km, 0 = each resource's default)</source>
      <translation>Distance maximale (km, 0 = distance par défaut de chaque ressource)</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Name of the territory (empty: the EPCI of its communes, else the folder's name)</source>
      <translation>Nom du territoire (vide : l'EPCI de ses communes, sinon le nom du dossier)</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Export the atlas (PDF)</source>
      <translation>Exporter l'atlas (PDF)</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Schema of the territory (with a database)</source>
      <translation>Schéma du territoire (avec une base de données)</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Output folder</source>
      <translation>Dossier de sortie</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Previous run found: its decisions are carried over.</source>
      <translation>Exécution précédente trouvée : ses décisions sont reprises.</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Writing the workspace</source>
      <translation>Écriture de l’espace de travail</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>The atlas export is not available: no atlas written.</source>
      <translation>L'export de l'atlas n'est pas disponible : aucun atlas écrit.</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Nothing was written.</source>
      <translation>Rien n'a été écrit.</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Canceled: the previous outputs are untouched.</source>
      <translation>Annulé : les résultats précédents sont intacts.</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Written in {folder}: {files}</source>
      <translation>Écrit dans {folder} : {files}</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>Writing the workspace into the schema {schema}</source>
      <translation>Écriture de l'espace de travail dans le schéma {schema}</translation>
    </message>
    <message>
      <location filename="../processing/alg_runpipeline.py" />
      <source>The atlas shows the {shown} first synergies of {total} (decided ones, then the best scores); the workspace holds them all.</source>
      <translation>L'atlas montre les {shown} premières synergies sur {total} (celles décidées, puis les meilleurs scores) ; l'espace de travail les contient toutes.</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Find substitution synergies</source>
      <translation>Trouver les synergies de substitution</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>For every supply, finds the needs it can feed (same resource, or a compatible one from the compatibility table) within a distance: MAX_DISTANCE_KM, or when 0 the default distance of each supply resource in the catalogue. Distances are measured in Lambert-93 (EPSG:2154), along the road network when one is given (the snapping distance of each end is reported; a pair the network does not connect keeps its straight-line distance, with a note). Each candidate is a line from the supplier to the receiver with its score (0-1) and the score's parts: compatibility, quantity coverage, distance, season overlap; and its impact figures (tonnes diverted, tonne-km, CO2 of transport). With ALLOCATE, competing supplies and needs share quantities optimally (most quantity exchanged, then least tonne-km, linear programme solved by HiGHS). TOP_K keeps each supply's best outlets and each need's best sources by score (10 by default; 0 keeps every pair within the distance); the allocation shares what is kept.</source>
      <translation>Pour chaque gisement, trouve les besoins qu'il peut alimenter (même ressource, ou ressource compatible selon la table de compatibilité) dans une distance : MAX_DISTANCE_KM, ou si 0 la distance par défaut de chaque ressource du catalogue. Les distances sont mesurées en Lambert-93 (EPSG:2154), le long du réseau routier s'il est fourni (la distance d'accrochage de chaque extrémité est indiquée ; une paire que le réseau ne relie pas garde sa distance à vol d'oiseau, avec une note). Chaque candidate est une ligne du fournisseur vers le receveur avec son score (0-1) et les parts du score : compatibilité, couverture des quantités, distance, recouvrement des saisons ; et ses indicateurs d'impact (tonnes détournées, tonnes-km, CO2 du transport). Avec ALLOCATE, gisements et besoins concurrents se partagent les quantités de façon optimale (quantité échangée maximale, puis tonnes-km minimales, programme linéaire résolu par HiGHS). TOP_K garde les meilleurs débouchés de chaque gisement et les meilleures sources de chaque besoin selon le score (10 par défaut ; 0 garde toutes les paires dans la distance) ; la répartition partage ce qui est gardé.</translation>
    </message>
    <message>
      <location filename="../processing/alg_synergycandidates.py" />
      <source>Largest snapping distance to the network (m)</source>
      <translation>Distance d'accrochage au réseau maximale (m)</translation>
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
      <source>Best candidates kept per supply and per need (0 = every pair within the distance)</source>
      <translation>Meilleures candidates gardées par gisement et par besoin (0 = toutes les paires dans la distance)</translation>
    </message>
    <message>
      <location filename="../processing/inputs.py" />
      <source>{read} rows read = {used} used ({supply} supplies, {need} needs) + {rejected} rejected</source>
      <translation>{read} lignes lues = {used} utilisées ({supply} gisements, {need} besoins) + {rejected} rejetées</translation>
    </message>
    <message>
      <location filename="../processing/inputs.py" />
      <source>Flows table (input/output balances)</source>
      <translation>Table des flux (bilans entrant/sortant)</translation>
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
      <source>{file}: this file is not a table ({detail}).</source>
      <translation>{file} : ce fichier n'est pas un tableau ({detail}).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: no row fits the header: row {row} has {found_fields} fields where the header has {expected_fields}. Check the delimiter ({delimiter}) and that the first line holds the column names.</source>
      <translation>{file} : aucune ligne ne correspond à l'en-tête : la ligne {row} a {found_fields} champs alors que l'en-tête en a {expected_fields}. Vérifiez le séparateur ({delimiter}) et que la première ligne contient bien les noms de colonnes.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: {columns} columns; a table of actors or flows has at most {limit}.</source>
      <translation>{file} : {columns} colonnes ; un tableau d'acteurs ou de flux en a au plus {limit}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: refused: {member} declares XML entities, as an entity-expansion bomb does. Save the workbook again from a spreadsheet program.</source>
      <translation>{file} : refusé : {member} déclare des entités XML, comme le fait une bombe d'expansion d'entités. Enregistrez à nouveau le classeur depuis un tableur.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: the Python library {module} is needed to read this file safely: install it in the Python that QGIS uses.</source>
      <translation>{file} : la bibliothèque Python {module} est nécessaire pour lire ce fichier en sécurité : installez-la dans le Python qu'utilise QGIS.</translation>
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
      <source>Unknown geocoding method {value}: choose 0 to 4.</source>
      <translation>Méthode de géocodage inconnue {value} : choisissez de 0 à 4.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The Nominatim method needs the Nominatim geocoder of QGIS.</source>
      <translation>La méthode Nominatim nécessite le géocodeur Nominatim de QGIS.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>BAN file not found: {file}.</source>
      <translation>Fichier BAN introuvable : {file}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file} is neither a BAN file (semicolon-separated, from adresse.data.gouv.fr) nor a BANO file.</source>
      <translation>{file} n'est ni un fichier BAN (séparé par des points-virgules, issu d'adresse.data.gouv.fr) ni un fichier BANO.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: the BAN file holds no usable address.</source>
      <translation>{file} : le fichier BAN ne contient aucune adresse utilisable.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: the BAN file cannot be read ({detail}).</source>
      <translation>{file} : le fichier BAN est illisible ({detail}).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: the saved BAN index cannot be read; delete it and run again.</source>
      <translation>{file} : l'index BAN enregistré est illisible ; supprimez-le et relancez.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>SIRENE file not found: {file}.</source>
      <translation>Fichier SIRENE introuvable : {file}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file} has no siret column: it is not a SIRENE establishments file.</source>
      <translation>{file} n'a pas de colonne siret : ce n'est pas un fichier SIRENE des établissements.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The SIRENE file cannot be read ({detail}).</source>
      <translation>Le fichier SIRENE est illisible ({detail}).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Communes table not found ({detail}).</source>
      <translation>Table des communes introuvable ({detail}).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: the communes table lacks {missing} (it needs an INSEE code, a name, a longitude and a latitude). Columns found: {columns}.</source>
      <translation>{file} : il manque {missing} à la table des communes (il faut un code INSEE, un nom, une longitude et une latitude). Colonnes trouvées : {columns}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Only http and https addresses are allowed: {url}.</source>
      <translation>Seules les adresses http et https sont acceptées : {url}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{url} answered HTTP {status}.</source>
      <translation>{url} a répondu HTTP {status}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Cannot reach {url}: check the network connection.</source>
      <translation>Impossible de joindre {url} : vérifiez la connexion réseau.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{value} is not a département code (01 to 95, 2A, 2B, 971 to 976).</source>
      <translation>{value} n'est pas un code de département (01 à 95, 2A, 2B, 971 à 976).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{url}: download incomplete ({received} of {expected} bytes); try again.</source>
      <translation>{url} : téléchargement incomplet ({received} octets sur {expected}) ; réessayez.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>More than {limit} candidates within the distance: keep each flow's best ones (TOP_K greater than 0), lower the distance limit or select fewer flows.</source>
      <translation>Plus de {limit} candidates dans la distance : gardez les meilleures de chaque flux (TOP_K supérieur à 0), réduisez la distance maximale ou sélectionnez moins de flux.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>TOP_K must be a whole number, 0 or more: {value}.</source>
      <translation>TOP_K doit être un nombre entier, 0 ou plus : {value}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{url} did not send a gzip file: check the département code and the download site address.</source>
      <translation>{url} n'a pas envoyé de fichier gzip : vérifiez le code du département et l'adresse du site de téléchargement.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>No PostgreSQL database given: fill DATABASE.</source>
      <translation>Aucune base PostgreSQL indiquée : renseignez DATABASE.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{uri}: not a PostgreSQL address (postgresql://user:[password]@host:port/database).</source>
      <translation>{uri} : ce n'est pas une adresse PostgreSQL (postgresql://utilisateur:[motdepasse]@serveur:port/base).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{name}: there is no QGIS connection of that name (Browser → PostgreSQL → New connection). Known connections: {known}.</source>
      <translation>{name} : aucune connexion QGIS ne porte ce nom (Explorateur → PostgreSQL → Nouvelle connexion). Connexions connues : {known}.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The PostgreSQL server {host}:{port} cannot be reached: check the address, the port and that the server is running ({detail}).</source>
      <translation>Le serveur PostgreSQL {host}:{port} est injoignable : vérifiez l'adresse, le port et que le serveur est démarré ({detail}).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{database}: the server refused the login: check the user name and the password.</source>
      <translation>{database} : le serveur a refusé la connexion : vérifiez le nom d'utilisateur et le mot de passe.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{database}: the PostGIS extension is not installed in this database; the administrator runs CREATE EXTENSION postgis; in it.</source>
      <translation>{database} : l'extension PostGIS n'est pas installée dans cette base ; l'administrateur y exécute CREATE EXTENSION postgis;.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>DATABASE needs a SCHEMA: the name of the territory's schema.</source>
      <translation>DATABASE demande un SCHEMA : le nom du schéma du territoire.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{schema}: a schema name is written in lower case letters, digits and underscores.</source>
      <translation>{schema} : un nom de schéma s'écrit en lettres minuscules, chiffres et tirets bas.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The schema {schema} holds tables that are not an EIT workspace's ({tables}): choose another schema name; nothing was written.</source>
      <translation>Le schéma {schema} contient des tables qui ne sont pas celles d'un espace de travail EIT ({tables}) : choisissez un autre nom de schéma ; rien n'a été écrit.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{database}: permission denied ({detail}). Ask the administrator for access (eit:grantaccess); nothing was written.</source>
      <translation>{database} : permission refusée ({detail}). Demandez un accès à l'administrateur (eit:grantaccess) ; rien n'a été écrit.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The role {role} does not exist: the administrator creates it first.</source>
      <translation>Le rôle {role} n'existe pas : l'administrateur doit d'abord le créer.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>ACCESS must be 0 (the territory's team) or 1 (the region).</source>
      <translation>ACCESS vaut 0 (l'équipe du territoire) ou 1 (la région).</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The schema {schema} holds no EIT workspace: run eit:runpipeline into it first.</source>
      <translation>Le schéma {schema} ne contient pas d'espace de travail EIT : lancez d'abord eit:runpipeline dedans.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{database}: the database answered an error: {detail}</source>
      <translation>{database} : la base a répondu par une erreur : {detail}</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Unknown status {value}.</source>
      <translation>Statut inconnu : {value}.</translation>
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
      <source>This line has more fields than the header: a value holds the delimiter without quotes.</source>
      <translation>Cette ligne a plus de champs que l'en-tête : une valeur contient le séparateur sans guillemets.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>This line has fewer fields than the header.</source>
      <translation>Cette ligne a moins de champs que l'en-tête.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>This line holds characters that cannot be read in the file's encoding: save the file as CSV UTF-8.</source>
      <translation>Cette ligne contient des caractères illisibles dans l'encodage du fichier : enregistrez le fichier en CSV UTF-8.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The value of {field} is longer than 10,000 characters.</source>
      <translation>La valeur de {field} dépasse 10 000 caractères.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>A double quote opened in this line is never closed; the reading goes on at the next line.</source>
      <translation>Un guillemet ouvert sur cette ligne n'est jamais fermé ; la lecture reprend à la ligne suivante.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Place {value} not found (write an actor id, an INSEE code or commune name, 'lon lat' coordinates or a facility of the facilities table); the flow is kept.</source>
      <translation>Lieu {value} introuvable (écrire un identifiant d'acteur, un code INSEE ou un nom de commune, des coordonnées « lon lat » ou une installation de la table des installations) ; le flux est gardé.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Several communes are named {value}: write the INSEE code; the flow is kept.</source>
      <translation>Plusieurs communes s'appellent {value} : écrire le code INSEE ; le flux est gardé.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>The current distance {value} is not a number of km; the flow is kept.</source>
      <translation>La distance actuelle {value} n'est pas un nombre de km ; le flux est gardé.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{field} {value} is not used: a need gives where it comes from (provenance), a supply where it goes (destination); the flow is kept.</source>
      <translation>{field} {value} n'est pas utilisé : un besoin indique d'où il vient (provenance), un gisement où il part (destination) ; le flux est gardé.</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>Input problem ({code}): {message}</source>
      <translation>Problème dans les données ({code}) : {message}</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>{file}: {n} rows set aside while reading:</source>
      <translation>{file} : {n} lignes écartées à la lecture :</translation>
    </message>
    <message>
      <location filename="../processing/messages.py" />
      <source>row {row}: {reason}</source>
      <translation>ligne {row} : {reason}</translation>
    </message>
    <message>
      <location filename="../processing/provider.py" />
      <source>EIT Synergies (industrial and territorial ecology) {version}</source>
      <translation>EIT Synergies (écologie industrielle et territoriale) {version}</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <location filename="../ui/charts.py" />
      <source>tonnes</source>
      <translation>tonnes</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <location filename="../ui/charts.py" />
      <source>MWh</source>
      <translation>MWh</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <source>{n} synergy candidates within the distance limit.</source>
      <translation>{n} synergies candidates dans la limite de distance.</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <source>{n} mutualisation groups of at least {min} actors.</source>
      <translation>{n} groupes de mutualisation d'au moins {min} acteurs.</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <source>Actors: {n} ({given} from their coordinates, {commune} at their commune, {other} from an address); {review} to review.</source>
      <translation>Acteurs : {n} ({given} d'après leurs coordonnées, {commune} à leur commune, {other} d'après une adresse) ; {review} à vérifier.</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <source>Update of the previous run: flows {new} new, {changed} changed, {gone} gone; candidates {cnew} new, {cgone} gone; {kept} decisions kept.</source>
      <translation>Mise à jour de l'exécution précédente : flux {new} nouveaux, {changed} modifiés, {gone} disparus ; synergies {cnew} nouvelles, {cgone} disparues ; {kept} décisions conservées.</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <source>By family: {families}.</source>
      <translation>Par famille : {families}.</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <source>Optimal allocation: {quantity} {unit} exchanged by {allocated} of {n} candidates.</source>
      <translation>Répartition optimale : {quantity} {unit} échangées par {allocated} des {n} synergies candidates.</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <source>{n} flows have no position and were not matched.</source>
      <translation>{n} flux n'ont pas de position et n'ont pas été appariés.</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <source>Local loop rate of {unit}: {before} % today, {after} % after the synergies to pursue.</source>
      <translation>Taux de bouclage local des {unit} : {before} % aujourd'hui, {after} % après les synergies à poursuivre.</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <source>Local loop rate of {unit} at the previous run: {before} % (now {now} %).</source>
      <translation>Taux de bouclage local des {unit} à l'exécution précédente : {before} % (maintenant {now} %).</translation>
    </message>
    <message>
      <location filename="../processing/summaries.py" />
      <source>{what}: {tkm} t·km and {co2} t CO2e of transport avoided per year against today ({n} with a known current origin or destination).</source>
      <translation>{what} : {tkm} t·km et {co2} t CO2e de transport évités par an par rapport à aujourd'hui ({n} avec une provenance ou une destination actuelle connue).</translation>
    </message>
    <message>
      <location filename="../processing/unavailable.py" />
      <source>Algorithm {alg} is not available: install {modules} ({command}).</source>
      <translation>L'algorithme {alg} n'est pas disponible : installez {modules} ({command}).</translation>
    </message>
    <message>
      <location filename="../processing/unavailable.py" />
      <source>{alg} (libraries missing)</source>
      <translation>{alg} (bibliothèques manquantes)</translation>
    </message>
    <message>
      <location filename="../ui/candidate_list.py" />
      <location filename="../ui/flow_form.py" />
      <source>Confidential actor</source>
      <translation>Acteur confidentiel</translation>
    </message>
    <message>
      <location filename="../ui/candidate_list.py" />
      <location filename="../ui/dock_layout.py" />
      <source>Select a synergy in the list</source>
      <translation>Choisissez une synergie dans la liste</translation>
    </message>
    <message>
      <location filename="../ui/candidate_list.py" />
      <source>{resource} — score {score} — {km} km — {status}</source>
      <translation>{resource} — score {score} — {km} km — {status}</translation>
    </message>
    <message>
      <location filename="../ui/candidate_list.py" />
      <source>unknown</source>
      <translation>inconnu</translation>
    </message>
    <message>
      <location filename="../ui/candidate_list.py" />
      <source>&lt;b&gt;Supply&lt;/b&gt;: {supplier} — {s_res} ({s_qty})&lt;br&gt;&lt;b&gt;Need&lt;/b&gt;: {receiver} — {n_res} ({n_qty})&lt;br&gt;&lt;b&gt;Exchanged&lt;/b&gt;: {m_qty} · {why}</source>
      <translation>&lt;b&gt;Gisement&lt;/b&gt; : {supplier} — {s_res} ({s_qty})&lt;br&gt;&lt;b&gt;Besoin&lt;/b&gt; : {receiver} — {n_res} ({n_qty})&lt;br&gt;&lt;b&gt;Échangé&lt;/b&gt; : {m_qty} · {why}</translation>
    </message>
    <message>
      <location filename="../ui/charts.py" />
      <source>Local loop rate: no supply with a known quantity.</source>
      <translation>Taux de bouclage local : aucun gisement de quantité connue.</translation>
    </message>
    <message>
      <location filename="../ui/charts.py" />
      <source>Charts unavailable: pyqtgraph is not installed. Install it with: {command}</source>
      <translation>Graphiques indisponibles : pyqtgraph n'est pas installé. Installez-le avec : {command}</translation>
    </message>
    <message>
      <location filename="../ui/charts.py" />
      <source>Local loop rate (supplies used in the territory): {rates}.</source>
      <translation>Taux de bouclage local (gisements utilisés dans le territoire) : {rates}.</translation>
    </message>
    <message>
      <location filename="../ui/charts.py" />
      <source>tonnes per year (materials)</source>
      <translation>tonnes par an (matières)</translation>
    </message>
    <message>
      <location filename="../ui/charts.py" />
      <source>Supply and need by family, in</source>
      <translation>Gisements et besoins par famille, en</translation>
    </message>
    <message>
      <location filename="../ui/charts.py" />
      <source>Synergies by family and status (click a bar to filter)</source>
      <translation>Synergies par famille et statut (cliquez une barre pour filtrer)</translation>
    </message>
    <message>
      <location filename="../ui/charts.py" />
      <source>supplies (solid)</source>
      <translation>gisements (plein)</translation>
    </message>
    <message>
      <location filename="../ui/charts.py" />
      <source>needs (light)</source>
      <translation>besoins (clair)</translation>
    </message>
    <message>
      <location filename="../ui/charts.py" />
      <source>{unit}: {before} % today, {after} % with the synergies to pursue</source>
      <translation>{unit} : {before} % aujourd'hui, {after} % avec les synergies à poursuivre</translation>
    </message>
    <message>
      <location filename="../ui/dock.py" />
      <source>Open a workspace (eit.gpkg, or a PostgreSQL schema) to start.</source>
      <translation>Ouvrez un espace de travail (eit.gpkg, ou un schéma PostgreSQL) pour commencer.</translation>
    </message>
    <message>
      <location filename="../ui/dock.py" />
      <source>{shown} of {total} synergies shown · {decided} decided</source>
      <translation>{shown} synergies affichées sur {total} · {decided} décidées</translation>
    </message>
    <message>
      <location filename="../ui/dock.py" />
      <source>saving…</source>
      <translation>enregistrement…</translation>
    </message>
    <message>
      <location filename="../ui/dock.py" />
      <source>the {n} best listed</source>
      <translation>les {n} meilleures listées</translation>
    </message>
    <message>
      <location filename="../ui/dock.py" />
      <source>the {n} best on the map</source>
      <translation>les {n} meilleures sur la carte</translation>
    </message>
    <message>
      <location filename="../ui/dock.py" />
      <source>updated in {s} s</source>
      <translation>mis à jour en {s} s</translation>
    </message>
    <message>
      <location filename="../ui/dock_filters.py" />
      <source>Distance: per resource</source>
      <translation>Distance : selon la ressource</translation>
    </message>
    <message>
      <location filename="../ui/dock_filters.py" />
      <source>Minimum score: {score}</source>
      <translation>Score minimal : {score}</translation>
    </message>
    <message>
      <location filename="../ui/dock_filters.py" />
      <source>Distance: {km} km</source>
      <translation>Distance : {km} km</translation>
    </message>
    <message>
      <location filename="../ui/dock_flows.py" />
      <source>Choose an actor.</source>
      <translation>Choisissez un acteur.</translation>
    </message>
    <message>
      <location filename="../ui/dock_flows.py" />
      <source>placed in the workshop</source>
      <translation>placé pendant l'atelier</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <location filename="../ui/dock_workspace.py" />
      <source>No workspace open</source>
      <translation>Aucun espace de travail ouvert</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Open a workspace…</source>
      <translation>Ouvrir un espace de travail…</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>PostgreSQL…</source>
      <translation>PostgreSQL…</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Open a territory's workspace in PostgreSQL (a QGIS connection and a schema)</source>
      <translation>Ouvrir l'espace de travail d'un territoire dans PostgreSQL (une connexion QGIS et un schéma)</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Public mode</source>
      <translation>Mode public</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Confidential flows show neither a name nor a quantity, on the map and in the list</source>
      <translation>Les flux confidentiels ne montrent ni nom ni quantité, sur la carte comme dans la liste</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Presentation</source>
      <translation>Présentation</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Map full screen with its legend, QGIS toolbars hidden (Esc to leave)</source>
      <translation>Carte en plein écran avec sa légende, barres d'outils de QGIS masquées (Échap pour sortir)</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Undo</source>
      <translation>Annuler</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Undo the last decision (Ctrl+Z)</source>
      <translation>Annuler la dernière décision (Ctrl+Z)</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Filters</source>
      <translation>Filtres</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Charts</source>
      <translation>Graphiques</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Selected synergy</source>
      <translation>Synergie sélectionnée</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Quantities</source>
      <translation>Quantités</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Open questions raised in the room…</source>
      <translation>Questions ouvertes soulevées dans la salle…</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Saved in the workspace as you type</source>
      <translation>Enregistré dans l'espace de travail au fil de la frappe</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Show everything</source>
      <translation>Tout afficher</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Pick an actor on the map</source>
      <translation>Choisir un acteur sur la carte</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Place a new actor on the map</source>
      <translation>Placer un nouvel acteur sur la carte</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Add or correct a supply or need…</source>
      <translation>Ajouter ou corriger un gisement ou un besoin…</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Click an actor to see its neighbours within the distance.</source>
      <translation>Cliquez sur un acteur pour voir ses voisins dans le rayon choisi.</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Types of actors</source>
      <translation>Types d'acteurs</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Resource, from → to</source>
      <translation>Ressource, de → vers</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>To look into</source>
      <translation>À approfondir</translation>
    </message>
    <message>
      <location filename="../ui/dock_layout.py" />
      <source>Resource families</source>
      <translation>Familles de ressources</translation>
    </message>
    <message>
      <location filename="../ui/dock_map.py" />
      <source>&lt;b&gt;{name}&lt;/b&gt; ({category}): {n} possible synergies within {km} km</source>
      <translation>&lt;b&gt;{name}&lt;/b&gt; ({category}) : {n} synergies possibles dans un rayon de {km} km</translation>
    </message>
    <message>
      <location filename="../ui/dock_modes.py" />
      <source>Presentation mode: press Esc to leave.</source>
      <translation>Mode présentation : appuyez sur Échap pour en sortir.</translation>
    </message>
    <message>
      <location filename="../ui/dock_modes.py" />
      <source>Possible synergies</source>
      <translation>Synergies possibles</translation>
    </message>
    <message>
      <location filename="../ui/dock_modes.py" />
      <source>Reading the lines</source>
      <translation>Lecture des liens</translation>
    </message>
    <message>
      <location filename="../ui/dock_modes.py" />
      <source>The workspace {path} is missing.</source>
      <translation>L'espace de travail {path} est introuvable.</translation>
    </message>
    <message>
      <location filename="../ui/dock_modes.py" />
      <source>width: quantity exchanged</source>
      <translation>épaisseur : quantité échangée</translation>
    </message>
    <message>
      <location filename="../ui/dock_modes.py" />
      <source>solid: to pursue · dashed: to explore further</source>
      <translation>plein : à poursuivre · tirets : à approfondir</translation>
    </message>
    <message>
      <location filename="../ui/dock_modes.py" />
      <source>faded dots: set aside</source>
      <translation>pointillés pâles : écartée</translation>
    </message>
    <message>
      <location filename="../ui/dock_modes.py" />
      <source>The project has no layer of the schema {schema}.</source>
      <translation>Le projet n'a aucune couche du schéma {schema}.</translation>
    </message>
    <message>
      <location filename="../ui/dock_search.py" />
      <source>Searching synergies…</source>
      <translation>Recherche des synergies…</translation>
    </message>
    <message>
      <location filename="../ui/dock_search.py" />
      <source>Synergy search failed: {error}</source>
      <translation>La recherche de synergies a échoué : {error}</translation>
    </message>
    <message>
      <location filename="../ui/dock_search.py" />
      <source>The synergies could not be saved in {path}: {error}</source>
      <translation>Les synergies n’ont pas pu être enregistrées dans {path} : {error}</translation>
    </message>
    <message>
      <location filename="../ui/dock_workspace.py" />
      <source>Open a workspace</source>
      <translation>Ouvrir un espace de travail</translation>
    </message>
    <message>
      <location filename="../ui/dock_workspace.py" />
      <source>EIT workspace (*.gpkg)</source>
      <translation>Espace de travail EIT (*.gpkg)</translation>
    </message>
    <message>
      <location filename="../ui/dock_workspace.py" />
      <source>PostgreSQL connection:</source>
      <translation>Connexion PostgreSQL :</translation>
    </message>
    <message>
      <location filename="../ui/dock_workspace.py" />
      <source>Territory (schema):</source>
      <translation>Territoire (schéma) :</translation>
    </message>
    <message>
      <location filename="../ui/dock_workspace.py" />
      <source>No PostgreSQL connection in QGIS: add one in the Browser panel first.</source>
      <translation>Aucune connexion PostgreSQL dans QGIS : ajoutez-en une d'abord dans le panneau Explorateur.</translation>
    </message>
    <message>
      <location filename="../ui/dock_workspace.py" />
      <source>No workspace found: open an eit.gpkg.</source>
      <translation>Aucun espace de travail trouvé : ouvrez un fichier eit.gpkg.</translation>
    </message>
    <message>
      <location filename="../ui/dock_workspace.py" />
      <source>{name} holds no EIT workspace you may open.</source>
      <translation>{name} ne contient aucun espace de travail EIT que vous pouvez ouvrir.</translation>
    </message>
    <message>
      <location filename="../ui/dock_workspace.py" />
      <source>{path} is not an EIT workspace (missing tables: {tables}).</source>
      <translation>{path} n'est pas un espace de travail EIT (tables manquantes : {tables}).</translation>
    </message>
    <message>
      <location filename="../ui/filter_controls.py" />
      <source>Lines on the map (the best ones)</source>
      <translation>Lignes sur la carte (les meilleures)</translation>
    </message>
    <message>
      <location filename="../ui/filter_controls.py" />
      <source>The map draws the best-scored synergies the filters keep, up to this number, and every synergy to pursue or to explore</source>
      <translation>La carte trace les synergies les mieux notées que gardent les filtres, jusqu’à ce nombre, et toutes les synergies à poursuivre ou à approfondir</translation>
    </message>
    <message>
      <location filename="../ui/filter_controls.py" />
      <source>Best synergies kept per flow (0 = all)</source>
      <translation>Meilleures synergies gardées par flux (0 = toutes)</translation>
    </message>
    <message>
      <location filename="../ui/filter_controls.py" />
      <source>Each supply keeps its best outlets and each need its best sources, by score; 0 keeps every pair within the distance (slow on a large territory)</source>
      <translation>Chaque gisement garde ses meilleurs débouchés et chaque besoin ses meilleures sources, selon le score ; 0 garde toutes les paires dans la distance (lent sur un grand territoire)</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Check the resource read from your words, then save.</source>
      <translation>Vérifiez la ressource lue dans vos mots, puis enregistrez.</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Supply or need of an actor</source>
      <translation>Gisement ou besoin d'un acteur</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Flow</source>
      <translation>Flux</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Flow to correct</source>
      <translation>Flux à corriger</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Supply: what the actor has to spare</source>
      <translation>Gisement : ce que l'acteur a en trop</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Need: what the actor is looking for</source>
      <translation>Besoin : ce que l'acteur recherche</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Type to search the catalogue</source>
      <translation>Tapez pour chercher dans le catalogue</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>The participant's words (optional)</source>
      <translation>Les mots du participant (facultatif)</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Label</source>
      <translation>Libellé</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>empty if unknown</source>
      <translation>vide si inconnue</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>e.g. 3-10; empty = all year</source>
      <translation>ex. 3-10 ; vide = toute l'année</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Confidential (never shown in public mode)</source>
      <translation>Confidentiel (jamais montré en mode public)</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Comment</source>
      <translation>Commentaire</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Save</source>
      <translation>Enregistrer</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Cancel</source>
      <translation>Annuler</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>New flow</source>
      <translation>Nouveau flux</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Choose a resource of the catalogue.</source>
      <translation>Choisissez une ressource du catalogue.</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>workshop</source>
      <translation>atelier</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Name of the new actor</source>
      <translation>Nom du nouvel acteur</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Type of activity</source>
      <translation>Type d'activité</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Give the new actor a name.</source>
      <translation>Donnez un nom au nouvel acteur.</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>supply</source>
      <translation>gisement</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>need</source>
      <translation>besoin</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>resource read from words, to review</source>
      <translation>ressource lue dans le texte, à vérifier</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>Resource read from the words “{text}” (confidence {percent} %): check it, then save to confirm.</source>
      <translation>Ressource lue dans les mots « {text} » (confiance {percent} %) : vérifiez-la, puis enregistrez pour la confirmer.</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>No resource of the catalogue is sure for “{text}”. Did you mean: {names}?</source>
      <translation>Aucune ressource du catalogue n’est sûre pour « {text} ». Vouliez-vous dire : {names} ?</translation>
    </message>
    <message>
      <location filename="../ui/flow_form.py" />
      <source>“{text}” read as {label} (confidence {percent} %): check it, then save.</source>
      <translation>« {text} » lu comme {label} (confiance {percent} %) : vérifiez, puis enregistrez.</translation>
    </message>
    <message>
      <location filename="../ui/installer.py" />
      <source>Installing the EIT Synergies libraries</source>
      <translation>Installation des bibliothèques d'EIT Synergies</translation>
    </message>
    <message>
      <location filename="../ui/presentation.py" />
      <source>Esc: leave the presentation</source>
      <translation>Échap : quitter la présentation</translation>
    </message>
    <message>
      <location filename="../ui/project_state.py" />
      <source>This workspace is in a temporary folder ({folder}): the computer may erase it, and QGIS will call its layers temporary when it closes. Run the job again into a lasting folder, or copy the folder there.</source>
      <translation>Cet espace de travail est dans un dossier temporaire ({folder}) : l'ordinateur peut l'effacer, et QGIS qualifiera ses couches de temporaires à la fermeture. Relancez le traitement vers un dossier durable, ou copiez-y le dossier.</translation>
    </message>
    <message>
      <location filename="../ui/tasks.py" />
      <source>EIT: searching synergies</source>
      <translation>EIT : recherche des synergies</translation>
    </message>
    <message>
      <location filename="../ui/workshop.py" />
      <source>Open the EIT workshop panel</source>
      <translation>Ouvrir le panneau de l'atelier EIT</translation>
    </message>
    <message>
      <location filename="../ui/workshop.py" />
      <source>EIT Synergies workshop</source>
      <translation>Atelier EIT Synergies</translation>
    </message>
    <message>
      <location filename="../ui/workshop.py" />
      <source>The workshop needs {modules}: {command}</source>
      <translation>L'atelier a besoin de {modules} : {command}</translation>
    </message>
  </context>
</TS>
