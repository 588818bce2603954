# SPDX-License-Identifier: GPL-2.0
# Guest instructions per packet by group, 1200-byte packets: the plot of
# BENCHMARKS.md's instruction accounting section (REP copies, spinning
# and scheduling are apart, as in the tables).
#   gnuplot -e "data='FILE'; out='PNG'" plot.gp
# The data file (bench/insn/report.py) has four blocks: tx AES, rx AES,
# tx ChaCha, rx ChaCha; a row per batch and path, a column per group.
set terminal pngcairo size 1400,900 font ",9" noenhanced
set output out
set multiplot layout 2,2 title "Guest instructions per packet by group under QEMU TCG (exact counts; all vCPUs; REP copies, spinning and scheduling apart)"
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.8
set xtics rotate by -60 scale 0
set ylabel "instructions per packet"
set format y "%.0s%c"
set grid ytics
set key top right reverse Left invert samplen 2
# room above the bars for the key
set offsets 0, 0, graph 0.5, 0
set yrange [0:*]
do for [i=0:3] {
	set title (i == 0 ? "Tx, AES-128-GCM" : i == 1 ? "Rx, AES-128-GCM" : \
		   i == 2 ? "Tx, ChaCha20-Poly1305" : "Rx, ChaCha20-Poly1305")
	plot for [c=2:8] data index i using c:xtic(1) title columnheader(c)
}
unset multiplot
