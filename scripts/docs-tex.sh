#!/bin/sh
# The TeX tools scripts/docs needs for the PDF (XeLaTeX, latexmk, the LaTeX packages Sphinx's
# LaTeX output uses, FreeFont); installs them from Debian when missing, as root or through sudo.
set -eu
packages="latexmk texlive-xetex texlive-latex-recommended texlive-latex-extra \
texlive-fonts-recommended fonts-freefont-otf"
if command -v xelatex >/dev/null 2>&1 && command -v latexmk >/dev/null 2>&1 \
    && kpsewhich capt-of.sty >/dev/null 2>&1 \
    && [ -f /usr/share/fonts/opentype/freefont/FreeSerif.otf ]; then
    exit 0
fi
echo "docs: installing TeX for the PDF: $packages" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo";
else echo "docs: run 'apt-get install $packages' as root first" >&2; exit 1; fi
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $packages >/dev/null
