#!/bin/sh
# Put prefmark in this user's application menu, from the unpacked bundle it sits in.
#   ./install.sh              add the menu entry, icon and software-centre metadata
#   ./install.sh --uninstall  remove them again (the bundle folder itself is left alone)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
id=io.github.prefmark.Prefmark
data=${XDG_DATA_HOME:-$HOME/.local/share}
desktop="$data/applications/$id.desktop"
icon="$data/icons/hicolor/512x512/apps/$id.png"
metainfo="$data/metainfo/$id.metainfo.xml"

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$desktop" "$icon" "$metainfo"
    echo "prefmark removed from the application menu"
    exit 0
fi

mkdir -p "$(dirname "$desktop")" "$(dirname "$icon")" "$(dirname "$metainfo")"
# The menu entry runs this bundle's binary by its absolute path (quoted: it may hold spaces).
sed -e "s|^Exec=prefmark|Exec=\"$here/prefmark\"|" -e "s|^TryExec=prefmark|TryExec=$here/prefmark|" \
    "$here/share/$id.desktop" > "$desktop"
cp "$here/share/prefmark.png" "$icon"
cp "$here/share/$id.metainfo.xml" "$metainfo"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "prefmark added to the application menu ($desktop)"
