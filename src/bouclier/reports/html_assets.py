"""The stylesheet and the one small script of ``report.html`` (inline; no network)."""

CSS = """
:root{--fg:#1a1a1a;--muted:#4a4a4a;--bg:#fff;--card:#f6f7f9;--line:#c9ced6;
--pass:#1b5e20;--fail:#a4161a;--inc:#7a4a00;--s0:#5b6b7f;--s1:#c2410c}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:0 16px 48px}
h2{font-size:1.25rem;margin:32px 0 12px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:1rem;margin:0 0 6px}
a{color:#0b57d0}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.banner{color:#fff;padding:20px 16px}
.banner>div{max-width:1100px;margin:0 auto}
.banner.PASS{background:var(--pass)}.banner.FAIL{background:var(--fail)}.banner.INCONCLUSIVE{background:var(--inc)}
.verdict{font-size:2rem;font-weight:800;margin:0;letter-spacing:.02em}
.reason{font-size:1.1rem;margin:6px 0 8px;overflow-wrap:anywhere}
.meta{margin:0;font-size:.9rem;opacity:.95;overflow-wrap:anywhere}
.meta code{color:#fff}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--line);border-radius:6px;padding:12px;break-inside:avoid}
.card.PASS{border-left-color:var(--pass)}.card.FAIL{border-left-color:var(--fail)}.card.INCONCLUSIVE{border-left-color:var(--inc)}
.badge{display:inline-block;font-weight:700;font-size:.8rem;padding:1px 8px;border-radius:10px;color:#fff}
.badge.PASS{background:var(--pass)}.badge.FAIL{background:var(--fail)}.badge.INCONCLUSIVE{background:var(--inc)}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:8px 0;font-size:.92rem}
.card dt{color:var(--muted)}.card dd{margin:0;font-variant-numeric:tabular-nums}
.card p{margin:6px 0 0;font-size:.92rem;overflow-wrap:anywhere}
.suite{color:var(--muted);font-size:.85rem}
svg{display:block;width:100%;height:auto;font-family:inherit}
svg text{fill:var(--fg);font-size:13px}
svg .legend{font-size:13px}svg .tick{fill:var(--muted);font-size:11px}svg .val{font-size:12px}
svg .grid{stroke:#e3e6ea}svg .axis{stroke:var(--muted)}
svg .s0{fill:var(--s0)}svg .s1{fill:var(--s1)}
svg .whisker,svg .ci{stroke:var(--fg);stroke-width:1.6;fill:none}
svg .est{fill:var(--fg)}svg .bad{fill:#f4d6d6}svg .bound{stroke:var(--fail);stroke-width:2;stroke-dasharray:4 3}
.strip{max-width:340px;margin-top:4px}
.chart{max-width:640px}
figure{margin:0 0 20px}figcaption{font-size:.9rem;color:var(--muted);margin-top:4px}
table{border-collapse:collapse;font-size:.9rem;width:100%}
th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.tablewrap{overflow-x:auto}
.filter{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0 12px}
.filter input{font:inherit;padding:6px 8px;border:1px solid var(--muted);border-radius:4px;min-width:240px;flex:1}
.case{border:1px solid var(--line);border-radius:6px;margin:0 0 10px;padding:10px;break-inside:avoid}
.case[hidden]{display:none}
.case h3{font-size:.95rem;overflow-wrap:anywhere}
.io{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.io>div{min-width:0}
.io h4,.case h4{margin:6px 0 2px;font-size:.85rem;color:var(--muted)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--card);border:1px solid var(--line);border-radius:4px;padding:6px;margin:0;font-size:.85rem;max-height:24em;overflow:auto}
.cut{font-size:.8rem;color:var(--muted)}
.note{color:var(--muted);font-size:.9rem}
footer{max-width:1100px;margin:0 auto;padding:16px;color:var(--muted);font-size:.85rem}
@media (max-width:640px){.verdict{font-size:1.6rem}.io{grid-template-columns:1fr}.cards{grid-template-columns:1fr}
.filter input{min-width:0;flex-basis:100%}}
@media print{body{font-size:11pt}.banner,.badge,svg rect{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.filter{display:none}pre{max-height:none;overflow:visible}
main{max-width:none}a{color:inherit}h2{break-after:avoid}}
"""

# Keyboard: the filter is a labelled <input type=search>; Escape clears it. The count of
# shown cases is announced through an aria-live region. Before printing, every <details>
# opens and every case shows, so that paper carries the whole evidence.
SCRIPT = """
(function(){
  var box=document.getElementById('case-filter');
  if(box){
    var cases=Array.prototype.slice.call(document.querySelectorAll('.case'));
    var status=document.getElementById('case-count');
    var text=cases.map(function(c){return c.textContent.toLowerCase();});
    var apply=function(){
      var q=box.value.trim().toLowerCase(), shown=0;
      cases.forEach(function(c,i){var ok=!q||text[i].indexOf(q)>=0;c.hidden=!ok;if(ok)shown++;});
      status.textContent='showing '+shown+' of '+cases.length+' cases';
    };
    box.addEventListener('input',apply);
    box.addEventListener('keydown',function(e){if(e.key==='Escape'){box.value='';apply();}});
    apply();
  }
  window.addEventListener('beforeprint',function(){
    document.querySelectorAll('details').forEach(function(d){d.open=true;});
  });
})();
"""
