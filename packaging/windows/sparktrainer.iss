; Inno Setup 6 script: `python packaging/build.py windows` runs
;   iscc /DAppVersion=X.Y.Z [/DOffline=1] packaging\windows\sparktrainer.iss
; on the PyInstaller folder it built. Per-user by default (no administrator needed),
; a Start-menu entry and an uninstaller; no PATH change. Uninstalling removes only what
; this installer wrote: the data folder (%LOCALAPPDATA%\sparktrainer) stays.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifdef Offline
  #define Flavour "-offline"
#else
  #define Flavour ""
#endif

[Setup]
AppId={{6C3F3E52-6A7B-4B7E-9C51-2B8E1E6F4A11}
AppName=SparkTrainer
AppVersion={#AppVersion}
AppVerName=SparkTrainer {#AppVersion}
AppPublisher=SparkTrainer developers
DefaultDirName={autopf}\SparkTrainer
DefaultGroupName=SparkTrainer
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ChangesEnvironment=no
OutputDir=..\..\dist
OutputBaseFilename=SparkTrainer-{#AppVersion}-Setup{#Flavour}
SetupIconFile=..\..\build\icons\sparktrainer.ico
UninstallDisplayIcon={app}\SparkTrainer.exe
UninstallDisplayName=SparkTrainer
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "Create a &desktop shortcut"; Flags: unchecked

[Files]
Source: "..\..\build\windows\dist\sparktrainer\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
#ifdef Offline
Source: "..\..\build\windows\wheelhouse\*"; DestDir: "{app}\wheelhouse"; Flags: ignoreversion recursesubdirs
#endif

[Icons]
Name: "{autoprograms}\SparkTrainer"; Filename: "{app}\SparkTrainer.exe"; AppUserModelID: "SparkTrainer.SparkTrainer"
Name: "{autodesktop}\SparkTrainer"; Filename: "{app}\SparkTrainer.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\SparkTrainer.exe"; Description: "Start SparkTrainer"; Flags: nowait postinstall skipifsilent
