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
