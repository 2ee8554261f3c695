r"""Every word the figures show, one table per language.

``TEXT[lang][key]`` is a string; ``{name}`` or ``{name:spec}`` marks a number or
a name filled in by :func:`text` (``str.format`` rules for the spec). A brace
that is not a placeholder — mathtext's ``\sqrt{t}``, ``g_{t-k}`` — stays as it
is, so the strings are written as they appear, without doubled braces.
Formulas stay in mathtext (``$m_t$``) in every language. A new language is one
more table with the same keys.
"""

import re

__all__ = ["LANGUAGES", "TEXT", "describe", "text"]

_EN = {
    # --------------------------------------------------------------- axes shared by many plots
    "axis.step": "step $t$",
    "axis.first_moment": "first moment",
    "axis.second_moment": "second moment",
    "axis.loss_f": r"loss $f(\theta_t)$",
    "legend.diverged": "diverged",
    "axis.loss_l": r"loss $\ell_t$",
    "legend.minimum": "minimum",
    "legend.start": r"start $\theta_0$",
    "legend.run": "{label}: {settings}",
    # --------------------------------------------------------------- plot functions' own texts
    "moments.title": "{label}: moments of coordinate {coordinate} ({settings})",
    "constant_gradient.title": "constant gradient: raw moments ramp up, corrected ones are exact "
                               "({settings})",
    "ema.xlabel": "$k$ (steps back)",
    "ema.ylabel": r"weight $(1-\beta)\,\beta^k$",
    "ema.title": r"EMA kernels of $m_t = \sum_k (1-\beta)\beta^k g_{t-k}$:" "\n"
                 r"the last $1/(1-\beta)$ gradients carry $1-\beta^{1/(1-\beta)} \approx$ 63 % "
                 "of the weight",
    "bias.ylabel": "bias-correction factor",
    "bias.left_title": "how much $m_t$ and $v_t$ are scaled up",
    "bias.minimum": "minimum {value:.4f} at $t$ = {step}",
    "bias.at": "{value:.4f} at $t$ = {step}",
    "bias.right_title": r"effective step factor, $\beta_1$={beta1:g}, $\beta_2$={beta2:g}",
    "bias_runs.theta": r"$\theta_t$ (each coordinate)",
    "bias_runs.step": r"largest $|\theta_t - \theta_{t-1}|\,/\,\alpha$",
    "bias_runs.title": "first steps with and without bias correction ({settings})",
    "paths.title": "{objective}, {steps} steps",
    "reddi.online": "online",
    "reddi.stochastic": "stochastic",
    "reddi.row": "{quantity} ({row})",
    "reddi.title": "Adam vs AMSGrad on Reddi et al. (2018)",
    "weight_decay.title": "L2 decay vs decoupled decay",
    "sweeps.panel": "{symbol} swept",
    "sweeps.title": "one call, K settings",
    "sweeps.fixed": "{objective}, {settings}",
    "schedules.lr": r"learning rate $\alpha_t$",
    "schedules.title": "learning-rate schedules",
    "sparse.panel": r"$\theta_{{i}}$: gradient w.p. $p$ = {p:g}, $h$ = {h:g}",
    "sparse.title": "sparse gradients: {objective}",
    "eps.gap_from": "gap > 1 % from $t$ = {step}",
    "eps.gap": "relative gap between the two runs",
    "eps.title": r"Algorithm 1's $\epsilon$ vs the $\hat\epsilon$ form",
    # --------------------------------------------------------------- lessons 9 to 11
    "momentum_region.title": "heavy-ball momentum on one eigen-direction: rate max |σ(R)|",
    "momentum_region.xlabel": r"$\alpha\lambda$",
    "momentum_region.ylabel": r"momentum $\beta$",
    "momentum_region.colorbar_label": r"rate $\max|\sigma(R)|$ (1 = no convergence)",
    "momentum_region.boundary_label": r"edge of convergence $\alpha\lambda = 2(1+\beta)$",
    "momentum_region.critical_label": r"critical damping $\alpha\lambda = (1\pm\sqrt{\beta})^2$",
    "momentum_region.complex_label": r"complex roots: rate $\sqrt{\beta}$",
    "momentum_region.mark_label": "{label}: rate {rate:.3f}",
    "fields.xlabel": "step $t$",
    "fields.separator": ", ",
    "adaptive_lr_variance.title": "the variance of the adaptive step in the first steps",
    "adaptive_lr_variance.xlabel": "step $t$",
    "adaptive_lr_variance.ylabel": r"variance of $\psi_t = 1/\sqrt{\hat v_t}$ ($\sigma = 1$)",
    "adaptive_lr_variance.measured_label": "measured over seeds",
    "adaptive_lr_variance.threshold_label": r"$\rho_t > 5$ from here",
    "seed_bands.title": "mean and spread over seeds",
    "seed_bands.xlabel": "step $t$",
    "seed_bands.band_note": "line: mean over seeds; band: lowest to highest seed",
    "digits.title": "the 8×8 digits",
    "seed_runs.title": "optimizers compared over seeds",
    "seed_runs.xlabel": "epoch",
    "seed_runs.loss_label": "training loss",
    "seed_runs.accuracy_label": "held-out accuracy",
    "seed_runs.band_label": "band: lowest to highest seed",
    "seed_runs.mean_label": "mean ± standard deviation over seeds",
    # --------------------------------------------------------------- objectives' descriptions
    "objective.Rosenbrock": "Rosenbrock",
    "objective.Beale": "Beale",
    "objective.saddle": "saddle",
    "objective.quadratic": "quadratic",
    "objective.rotated quadratic": "rotated quadratic",
    "objective.1-D quadratic": "1-D quadratic",
    "objective.noisy quadratic": "noisy quadratic",
    "objective.sparse quadratic": "sparse quadratic",
    "objective.rotated by": ", rotated by ",
    "objective.seed": ", seed ",
    "objective.sep": ": ",
    # --------------------------------------------------------------- the figures' runs and titles
    "run.with_correction": r"with correction ($\hat m_t$, $\hat v_t$)",
    "run.without_correction": r"without ($m_t$, $v_t$)",
    "run.sgd_momentum": "SGD + momentum",
    "run.no_decay": "Adam, no decay",
    "run.l2": r"Adam(weight_decay=$\lambda$): L2, $g + \lambda\theta$",
    "run.adamw": r"AdamW: $\theta(1-\alpha\lambda)$, decoupled",
    "run.argmin": "argmin $f$",
    "run.argmin_l2": r"argmin $f + \frac{\lambda}{2}\|\theta\|^2$",
    "run.constant": "constant",
    "run.warmup": "LinearLR(start_factor=0.01, total_iters=50): warm-up",
    "run.algorithm1": r"Algorithm 1: $\alpha\,\hat m_t/(\sqrt{\hat v_t}+\epsilon)$",
    "run.eps_hat": r"$\hat\epsilon$ form: $\alpha_t\,m_t/(\sqrt{v_t}+\hat\epsilon)$",
    "run.reddi_limit": r"$x_t = +1$: $R_t/t \to$ 20/101",
    "run.reddi_expected_limit": r"$x_t = +1$: $\mathrm{E}[R_t]/t \to$ {value:g}",
    "fig.moments": r"Adam's moments of $\theta_1$ on a noisy quadratic ($\sigma$=0.5, seed 1), "
                   "{settings}",
    "fig.constant_gradient": r"constant gradient $g$ = 1: raw $m_t$, $v_t$ ramp up, $\hat m_t = g$ "
                             r"and $\hat v_t = g^2$ from $t$ = 1 ({settings})",
    "fig.bias_correction_runs": "Adam's first 40 steps on {objective} (eig 1, 0.1), {settings}: "
                                r"uncorrected step 1 is $(1-\beta_1)/\sqrt{1-\beta_2}$ = 3.16 "
                                "times larger",
    "fig.paths_rosenbrock": "{objective}, 1000 steps from (0, 2.5): Adam's first steps are close "
                            r"to $\alpha\,$sign$(g)$, diagonal; SGD follows $-g$ down, then the "
                            "valley",
    "fig.paths_beale": "{objective}\n600 steps from (−1, −1.5)",
    "fig.paths_saddle": r"{objective}, 60 steps from (0.9, 0.001): who escapes along $\theta_2$",
    "fig.reddi": r"Reddi et al. (2018) on $x \in [-1, 1]$, $x_0$ = 0, "
                 r"$\alpha_t = {alpha:g}/\sqrt{t}$, $\beta_1$ = 0.9, $\beta_2$ = 0.99, "
                 r"$\epsilon$ = 1e-8" "\n"
                 r"top: $f_t(x)$ = 1010$x$ if $t$ mod 101 = 1, else $-10x$; "
                 r"bottom: 1010$x$ w.p. 0.01, else $-10x$ (seeds 0, 1, 2)" "\n"
                 r"bottom right: expected regret $\mathrm{E}[R_t] = \Sigma_{s \leq t}\, "
                 r"{mean_slope:g}\,(x_{s-1} + 1)$, as $\mathrm{E}[f_t(x)] = {mean_slope:g}x$",
    "fig.weight_decay": "quadratic, eig(A) = (1, 0.01), θ* = (1, 1), θ₀ = 0, "
                        r"$\alpha$={lr:g}, $\lambda$={lam:g}, "
                        r"$\beta_1$=0.9, $\beta_2$=0.999" "\n"
                        "L2 is part of the gradient, so Adam converges to the regularised "
                        r"minimum (the flat $\theta_2$ shrinks 10×); AdamW's decay is not a "
                        "gradient and ends near argmin $f$",
    "fig.hyperparameter_sweep": "Adam, {steps} steps from (1, 1) on {objective}; each panel "
                                "advances K = 4 settings together: θ has shape (4, 2) and the "
                                "swept hyperparameter is a (4, 1) array",
    "fig.lr_schedules": r"Adam($\alpha$={lr:g}) on a noisy quadratic ($\sigma$=1, seed 0): the "
                        r"noise floor of $f(\theta_t)$ follows $\alpha_t$; an impatient plateau "
                        r"rule, fed the noisy loss, cuts $\alpha_t$ before $\theta_t$ has arrived",
    "fig.sparse_gradients": "{objective}\n"
                            r"SGD's one $\alpha$ must stay below $2/h_1$ = 0.1 for the frequent, "
                            "steep coordinate; Adam divides each coordinate's step by its own "
                            r"$\sqrt{\hat v_t}$, so the rare one still moves",
    "fig.eps_hat": r"{objective}, $\theta_0$ = 1, $\alpha$={lr:g}, $\beta$=(0.9, 0.999), "
                   r"$\epsilon = \hat\epsilon$ = {eps:g}: the $\hat\epsilon$ form is Algorithm 1 "
                   r"with $\epsilon_t = \hat\epsilon/\sqrt{1-\beta_2^t}$ (31.6$\hat\epsilon$ at "
                   r"$t$ = 1, then $\to \hat\epsilon$); each step differs by about "
                   r"$(\epsilon_t - \epsilon)/\sqrt{\hat v_t}$: negligible while gradients are "
                   r"large, decisive once $\sqrt{\hat v_t}$ is small",
    "fig.paths_rosenbrock_anim": "{objective}, 1000 steps from (0, 2.5)",
    "fig.paths_saddle_anim": "{objective}, 60 steps from (0.9, 0.001)",
    "fig.reddi_anim": r"Reddi et al. (2018): $f_t(x)$ = 1010$x$ if $t$ mod 101 = 1, else $-10x$, "
                      r"on [−1, 1]; $x_0$ = 0, $\alpha_t = {alpha:g}/\sqrt{t}$, $\beta_1$ = 0.9, "
                      r"$\beta_2$ = 0.99",
    # --------------------------------------------------------------- `figures --list`
    "list.moments": "g, m, v, m̂, v̂ per step of Adam on a noisy quadratic",
    "list.constant_gradient": "under a constant gradient raw m, v ramp up; m̂ = g and v̂ = g² "
                              "exactly",
    "list.ema_kernels": "the EMA weights (1−β)β^k and their ~1/(1−β)-step window",
    "list.bias_correction": "1/(1−β^t) on log axes; the effective step factor √(1−β2^t)/(1−β1^t) "
                            "dips to 0.1522 at t = 12",
    "list.bias_correction_runs": "Adam's first steps with and without bias correction",
    "list.paths_rosenbrock": "Adam, AMSGrad, SGD with momentum and RMSprop in Rosenbrock's valley",
    "list.paths_beale": "the same four optimizers on Beale's function",
    "list.paths_saddle": "escaping the saddle x² − y²: normalised steps escape fast",
    "list.reddi": "Reddi et al.'s counterexample: Adam goes to x = +1, AMSGrad to x* = −1",
    "list.weight_decay": "L2 weight decay inside Adam vs AdamW's decoupled decay",
    "list.hyperparameter_sweep": "the effect of β1, β2 and ε; K settings advance in one array",
    "list.lr_schedules": "StepLR, cosine, linear warm-up and ReduceLROnPlateau (patient and impatient) over one run",
    "list.sparse_gradients": "rare gradients: Adam moves rare coordinates, SGD's capped α barely "
                             "does",
    "list.eps_hat": "Algorithm 1's ε vs the TF/Keras ε̂ form: where the trajectories part",
    "list.paths_rosenbrock_anim": "animated: the four optimizers' paths growing in Rosenbrock's "
                                  "valley",
    "list.paths_saddle_anim": "animated: the four optimizers leaving the saddle",
    "list.moments_anim": "animated: g, m, v, m̂, v̂ of Adam filling in step by step",
    "list.reddi_anim": "animated: Reddi's x_t, Adam drifting to +1, AMSGrad to −1",
}

_ZH = {
    "axis.step": "迭代步数 $t$",
    "axis.first_moment": "一阶矩",
    "axis.second_moment": "二阶矩",
    "axis.loss_f": r"损失 $f(\theta_t)$",
    "legend.diverged": "发散",
    "axis.loss_l": r"损失 $\ell_t$",
    "legend.minimum": "最小值点",
    "legend.start": r"起点 $\theta_0$",
    "legend.run": "{label}：{settings}",
    "moments.title": "{label}：第 {coordinate} 个坐标的一阶矩、二阶矩估计（{settings}）",
    "constant_gradient.title": "恒定梯度：未修正的矩估计从零慢慢爬升，偏差修正后的估计一开始就准确"
                               "（{settings}）",
    "ema.xlabel": "$k$（往前数的步数）",
    "ema.ylabel": r"权重 $(1-\beta)\,\beta^k$",
    "ema.title": r"指数加权移动平均 $m_t = \sum_k (1-\beta)\beta^k g_{t-k}$ 的权重：" "\n"
                 r"最近 $1/(1-\beta)$ 个梯度占全部权重的 $1-\beta^{1/(1-\beta)} \approx$ 63 %",
    "bias.ylabel": "偏差修正系数",
    "bias.left_title": "$m_t$ 和 $v_t$ 被放大了多少",
    "bias.minimum": "最小值 {value:.4f}，在 $t$ = {step}",
    "bias.at": "$t$ = {step} 时为 {value:.4f}",
    "bias.right_title": r"有效步长系数，$\beta_1$={beta1:g}，$\beta_2$={beta2:g}",
    "bias_runs.theta": r"$\theta_t$（每个坐标）",
    "bias_runs.step": r"最大的 $|\theta_t - \theta_{t-1}|\,/\,\alpha$",
    "bias_runs.title": "有无偏差修正时的前几步（{settings}）",
    "paths.title": "{objective}，{steps} 步",
    "reddi.online": "在线",
    "reddi.stochastic": "随机",
    "reddi.row": "{quantity}（{row}）",
    "reddi.title": "Reddi 等人 (2018) 的问题上 Adam 与 AMSGrad 的对比",
    "weight_decay.title": "L2 正则与解耦权重衰减",
    "sweeps.panel": "扫描 {symbol}",
    "sweeps.title": "一次调用，K 组超参数",
    "sweeps.fixed": "{objective}，{settings}",
    "schedules.lr": r"学习率 $\alpha_t$",
    "schedules.title": "学习率调度",
    "sparse.panel": r"$\theta_{{i}}$：以概率 $p$ = {p:g} 有梯度，$h$ = {h:g}",
    "sparse.title": "稀疏梯度：{objective}",
    "eps.gap_from": "从 $t$ = {step} 起相对差距 > 1 %",
    "eps.gap": "两条轨迹的相对差距",
    "eps.title": r"算法 1 的 $\epsilon$ 与 $\hat\epsilon$ 写法",
    "momentum_region.title": r"重球动量在一个特征方向上的收敛速率 $\max|\sigma(R)|$",
    "momentum_region.xlabel": r"$\alpha\lambda$",
    "momentum_region.ylabel": r"动量 $\beta$",
    "momentum_region.colorbar_label": r"速率 $\max|\sigma(R)|$（1 = 不收敛）",
    "momentum_region.boundary_label": r"收敛边界 $\alpha\lambda = 2(1+\beta)$",
    "momentum_region.critical_label": r"临界阻尼 $\alpha\lambda = (1\pm\sqrt{\beta})^2$",
    "momentum_region.complex_label": r"复根：速率 $\sqrt{\beta}$",
    "momentum_region.mark_label": "{label}：速率 {rate:.3f}",
    "fields.xlabel": "迭代步数 $t$",
    "fields.separator": "，",
    "adaptive_lr_variance.title": "最初几步中自适应步长的方差",
    "adaptive_lr_variance.xlabel": "迭代步数 $t$",
    "adaptive_lr_variance.ylabel": r"$\psi_t = 1/\sqrt{\hat v_t}$ 的方差（$\sigma = 1$）",
    "adaptive_lr_variance.measured_label": "多个随机种子上的实测值",
    "adaptive_lr_variance.threshold_label": r"从这里起 $\rho_t > 5$",
    "seed_bands.title": "多个随机种子上的均值与波动范围",
    "seed_bands.xlabel": "迭代步数 $t$",
    "seed_bands.band_note": "曲线：各随机种子的均值；色带：从最低到最高的随机种子",
    "digits.title": "8×8 的手写数字图像",
    "seed_runs.title": "多个随机种子上的优化器对比",
    "seed_runs.xlabel": "训练轮数",
    "seed_runs.loss_label": "训练损失",
    "seed_runs.accuracy_label": "留出数据上的准确率",
    "seed_runs.band_label": "色带：从最低到最高的随机种子",
    "seed_runs.mean_label": "各随机种子的均值 ± 标准差",
    "objective.Rosenbrock": "Rosenbrock 函数",
    "objective.Beale": "Beale 函数",
    "objective.saddle": "鞍点",
    "objective.quadratic": "二次函数",
    "objective.rotated quadratic": "旋转的二次函数",
    "objective.1-D quadratic": "一维二次函数",
    "objective.noisy quadratic": "带噪声的二次函数",
    "objective.sparse quadratic": "稀疏二次函数",
    "objective.rotated by": "，旋转 ",
    "objective.seed": "，随机种子 ",
    "objective.sep": "：",
    "run.with_correction": r"有偏差修正（$\hat m_t$, $\hat v_t$）",
    "run.without_correction": r"无偏差修正（$m_t$, $v_t$）",
    "run.sgd_momentum": "SGD + 动量",
    "run.no_decay": "Adam，无权重衰减",
    "run.l2": r"Adam(weight_decay=$\lambda$)：L2 正则，$g + \lambda\theta$",
    "run.adamw": r"AdamW：$\theta(1-\alpha\lambda)$，解耦权重衰减",
    "run.argmin": "$f$ 的最小值点",
    "run.argmin_l2": r"$f + \frac{\lambda}{2}\|\theta\|^2$ 的最小值点",
    "run.constant": "恒定学习率",
    "run.warmup": "LinearLR(start_factor=0.01, total_iters=50)：学习率预热",
    "run.algorithm1": r"算法 1：$\alpha\,\hat m_t/(\sqrt{\hat v_t}+\epsilon)$",
    "run.eps_hat": r"$\hat\epsilon$ 写法：$\alpha_t\,m_t/(\sqrt{v_t}+\hat\epsilon)$",
    "run.reddi_limit": r"$x_t = +1$：$R_t/t \to$ 20/101",
    "run.reddi_expected_limit": r"$x_t = +1$：$\mathrm{E}[R_t]/t \to$ {value:g}",
    "fig.moments": r"Adam 在带噪声的二次函数上（$\sigma$=0.5，随机种子 1）$\theta_1$ 的矩估计，"
                   "{settings}",
    "fig.constant_gradient": r"恒定梯度 $g$ = 1：未修正的 $m_t$、$v_t$ 慢慢爬升，"
                             r"而从 $t$ = 1 起 $\hat m_t = g$、$\hat v_t = g^2$（{settings}）",
    "fig.bias_correction_runs": "Adam 在{objective}（特征值 1, 0.1）上的前 40 步，{settings}："
                                r"不做偏差修正时第 1 步是修正后的 $(1-\beta_1)/\sqrt{1-\beta_2}$ "
                                "= 3.16 倍",
    "fig.paths_rosenbrock": "{objective}，从 (0, 2.5) 出发 1000 步：Adam 最初几步接近 "
                            r"$\alpha\,$sign$(g)$，沿对角线走；SGD 先顺着 $-g$ 下降，再沿山谷前进",
    "fig.paths_beale": "{objective}\n从 (−1, −1.5) 出发 600 步",
    "fig.paths_saddle": r"{objective}，从 (0.9, 0.001) 出发 60 步：谁能沿 $\theta_2$ 逃离鞍点",
    "fig.reddi": r"Reddi 等人 (2018)：$x \in [-1, 1]$，$x_0$ = 0，"
                 r"$\alpha_t = {alpha:g}/\sqrt{t}$，$\beta_1$ = 0.9，$\beta_2$ = 0.99，"
                 r"$\epsilon$ = 1e-8" "\n"
                 r"上：$t$ mod 101 = 1 时 $f_t(x)$ = 1010$x$，否则 $-10x$；"
                 r"下：以概率 0.01 取 1010$x$，否则 $-10x$（种子 0, 1, 2）" "\n"
                 r"右下：期望遗憾 $\mathrm{E}[R_t] = \Sigma_{s \leq t}\, "
                 r"{mean_slope:g}\,(x_{s-1} + 1)$，因为 $\mathrm{E}[f_t(x)] = {mean_slope:g}x$",
    "fig.weight_decay": r"二次函数，eig(A) = (1, 0.01)，$\theta^*$ = (1, 1)，$\theta_0$ = 0，"
                        r"$\alpha$={lr:g}，$\lambda$={lam:g}，"
                        r"$\beta_1$=0.9，$\beta_2$=0.999" "\n"
                        "L2 正则是梯度的一部分，所以 Adam 收敛到正则化后的最小值点"
                        r"（平坦方向的 $\theta_2$ 缩小 10 倍）；AdamW 的解耦权重衰减不经过梯度，"
                        "最终停在 $f$ 的最小值点附近",
    "fig.hyperparameter_sweep": "Adam 在{objective} 上从 (1, 1) 出发 {steps} 步；每个子图同时推进 "
                                "K = 4 组超参数：θ 的形状是 (4, 2)，被扫描的超参数是 (4, 1) 的数组",
    "fig.lr_schedules": r"Adam($\alpha$={lr:g}) 在带噪声的二次函数上（$\sigma$=1，随机种子 0）："
                        r"$f(\theta_t)$ 的噪声底随 $\alpha_t$ 变化；耐心太短的平台规则把带噪声的损失当作平台，"
                        r"在 $\theta_t$ 到达之前就把 $\alpha_t$ 降得过低",
    "fig.sparse_gradients": "{objective}\n"
                            r"SGD 只有一个 $\alpha$，必须小于 $2/h_1$ = 0.1，以照顾频繁出现又陡峭的"
                            "坐标；Adam 用每个坐标自己的 "
                            r"$\sqrt{\hat v_t}$ 去除它的步长，所以稀有的坐标照样前进",
    "fig.eps_hat": r"{objective}，$\theta_0$ = 1，$\alpha$={lr:g}，$\beta$=(0.9, 0.999)，"
                   r"$\epsilon = \hat\epsilon$ = {eps:g}：$\hat\epsilon$ 写法相当于算法 1 取 "
                   r"$\epsilon_t = \hat\epsilon/\sqrt{1-\beta_2^t}$（$t$ = 1 时为 "
                   r"31.6$\hat\epsilon$，随后 $\to \hat\epsilon$）；每一步大约相差 "
                   r"$(\epsilon_t - \epsilon)/\sqrt{\hat v_t}$：梯度大时可以忽略，"
                   r"$\sqrt{\hat v_t}$ 变小后起决定作用",
    "fig.paths_rosenbrock_anim": "{objective}，从 (0, 2.5) 出发 1000 步",
    "fig.paths_saddle_anim": "{objective}，从 (0.9, 0.001) 出发 60 步",
    "fig.reddi_anim": r"Reddi 等人 (2018)：$t$ mod 101 = 1 时 $f_t(x)$ = 1010$x$，否则为 $-10x$，"
                      r"投影到 [−1, 1]；$x_0 = 0$，$\alpha_t = {alpha:g}/\sqrt{t}$，"
                      r"$\beta_1$ = 0.9，$\beta_2$ = 0.99",
    "list.moments": "Adam 在带噪声的二次函数上每一步的 g、m、v、m̂、v̂",
    "list.constant_gradient": "恒定梯度下未修正的 m、v 慢慢爬升；m̂ = g、v̂ = g² 精确成立",
    "list.ema_kernels": "指数加权移动平均的权重 (1−β)β^k 及其约 1/(1−β) 步的窗口",
    "list.bias_correction": "对数坐标下的 1/(1−β^t)；有效步长系数 √(1−β2^t)/(1−β1^t) "
                            "在 t = 12 处降到 0.1522",
    "list.bias_correction_runs": "有无偏差修正时 Adam 的前几步",
    "list.paths_rosenbrock": "Adam、AMSGrad、带动量的 SGD 和 RMSprop 在 Rosenbrock 山谷中的路径",
    "list.paths_beale": "同样四个优化器在 Beale 函数上的路径",
    "list.paths_saddle": "逃离鞍点 x² − y²：归一化的步长逃得快",
    "list.reddi": "Reddi 等人的反例：Adam 走向 x = +1，AMSGrad 走向 x* = −1",
    "list.weight_decay": "Adam 内部的 L2 正则与 AdamW 的解耦权重衰减",
    "list.hyperparameter_sweep": "β1、β2 和 ε 的影响；K 组超参数放在一个数组里同时推进",
    "list.lr_schedules": "一次训练中的 StepLR、余弦退火、线性学习率预热和 ReduceLROnPlateau（耐心长与短）",
    "list.sparse_gradients": "稀疏梯度：Adam 能推动稀有坐标，SGD 受限的 α 几乎推不动",
    "list.eps_hat": "算法 1 的 ε 与 TF/Keras 的 ε̂ 写法：两条轨迹在哪里分开",
    "list.paths_rosenbrock_anim": "动画：四个优化器在 Rosenbrock 山谷中的路径逐步延伸",
    "list.paths_saddle_anim": "动画：四个优化器离开鞍点",
    "list.moments_anim": "动画：Adam 的 g、m、v、m̂、v̂ 一步步画出来",
    "list.reddi_anim": "动画：Reddi 反例中的 x_t，Adam 漂向 +1，AMSGrad 走向 −1",
}

#: the tables: one per language, each with the same keys
TEXT = {"en": _EN, "zh": _ZH}
LANGUAGES = tuple(TEXT)

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}")


def fill(template, values):
    """``template`` with each ``{name}`` / ``{name:spec}`` whose name is in ``values`` filled in;
    every other brace is left as it is."""
    def replace(match):
        name, spec = match.group(1), match.group(2) or ""
        return format(values[name], spec) if name in values else match.group(0)
    return _PLACEHOLDER.sub(replace, template)


def text(lang, key, **values):
    """The string ``key`` of language ``lang``, with ``values`` filled in."""
    return fill(TEXT[lang][key], values)


def describe(lang, objective):
    """An objective's description (its ``repr``) in language ``lang``: the name and the
    few words around the formula translated, the formula kept."""
    description = repr(objective)
    if lang == "en":
        return description
    name, sep, formula = description.partition(": ")
    key = f"objective.{name}"
    if sep and key in TEXT[lang]:
        description = TEXT[lang][key] + TEXT[lang]["objective.sep"] + formula
    for phrase in ("objective.rotated by", "objective.seed"):
        description = description.replace(TEXT["en"][phrase], TEXT[lang][phrase])
    return description
