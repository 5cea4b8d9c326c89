"""Models side by side with a published column, written to Markdown, HTML, LaTeX, Word and Excel.

Run: ``python examples/etable.py`` (writes ``effect.md``, ``.html``, ``.tex``, ``.docx``,
``.xlsx`` and ``event_study.png``/``.svg`` into the current directory).
"""

import numpy as np

import evalkit
from evalkit.report import etable, plot, published_column, save_figure
from evalkit.simulate import simulate_staggered

sim = simulate_staggered(200, 10, {5: 0.4, 7: 0.4}, effect=1.0, rng=np.random.default_rng(1))
data = sim.data.assign(post=lambda d: ((d["first_treated"] > 0) & (d["time"] >= d["first_treated"])).astype(float))

pooled = evalkit.feols("y ~ post", data)
twfe = evalkit.feols("y ~ post | unit + time", data, vcov="CR1", cluster="unit")
paper = published_column({"post": {"coef": 1.02, "se": 0.08}}, name="published")
table = etable({"pooled": pooled, "TWFE": twfe, "paper": paper}, labels={"post": "Treated (post)"},
               caption="Effect of treatment", notes="Simulated staggered adoption, true effect 1.")
print(table.to_markdown())
for suffix in (".md", ".html", ".tex", ".docx", ".xlsx"):
    table.save(f"effect{suffix}")

study = evalkit.event_study(data, y="y", unit="unit", time="time", group="first_treated", min_e=-4, max_e=4)
figure = plot(study, title="Event study (TWFE)")
save_figure(figure, "event_study.png")
save_figure(figure, "event_study.svg")
