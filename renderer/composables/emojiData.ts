/**
 * The emoji the picker offers, by category, each with English and Chinese
 * search words. A curated set of the emoji people use most (Unicode 13 and
 * older, so the bundled Noto Color Emoji font draws every one) rather than a
 * picker library: the maintained ones (emoji-mart) inject <style> elements
 * into a shadow root, which the app's strict CSP (style-src 'self') refuses.
 * Any other emoji can still be typed, pasted or used as a reaction.
 */
export interface EmojiEntry {
  emoji: string;
  /** Space-separated search words, English then Chinese. */
  words: string;
}

export interface EmojiCategory {
  id: 'smileys' | 'people' | 'nature' | 'food' | 'activities' | 'travel' | 'objects' | 'symbols';
  icon: string;
  emoji: EmojiEntry[];
}

/** The reactions offered in one click. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

const e = (emoji: string, words: string): EmojiEntry => ({ emoji, words });

export const EMOJI_CATEGORIES: readonly EmojiCategory[] = [
  {
    id: 'smileys',
    icon: '😀',
    emoji: [
      e('😀', 'grin smile happy 笑 开心'), e('😃', 'smile happy 笑'), e('😄', 'laugh smile 大笑'), e('😁', 'grin beam 咧嘴笑'),
      e('😆', 'laugh squint 哈哈'), e('😅', 'sweat smile 尴尬 汗'), e('🤣', 'rofl laugh floor 笑翻'), e('😂', 'joy tears laugh 笑哭'),
      e('🙂', 'slight smile 微笑'), e('🙃', 'upside down 倒脸'), e('😉', 'wink 眨眼'), e('😊', 'blush smile 害羞 微笑'),
      e('😇', 'angel innocent 天使'), e('🥰', 'love hearts 喜爱'), e('😍', 'heart eyes love 色 爱心眼'), e('🤩', 'star struck 崇拜'),
      e('😘', 'kiss 飞吻'), e('😋', 'yum tasty 好吃'), e('😛', 'tongue 吐舌'), e('😜', 'wink tongue 调皮'),
      e('🤪', 'zany crazy 疯狂'), e('🤑', 'money 发财'), e('🤗', 'hug 拥抱'), e('🤭', 'oops giggle 捂嘴笑'),
      e('🤫', 'shush quiet 嘘'), e('🤔', 'think hmm 思考'), e('🤐', 'zipper mouth 闭嘴'), e('🤨', 'raised eyebrow doubt 怀疑'),
      e('😐', 'neutral 无语'), e('😑', 'expressionless 面无表情'), e('😶', 'no mouth 沉默'), e('😏', 'smirk 得意'),
      e('😒', 'unamused 不高兴'), e('🙄', 'eye roll 翻白眼'), e('😬', 'grimace 龇牙'), e('😌', 'relieved 放松'),
      e('😔', 'pensive 失落'), e('😪', 'sleepy 困'), e('😴', 'sleep zzz 睡觉'), e('😷', 'mask sick 口罩 生病'),
      e('🤒', 'fever sick 发烧'), e('🤢', 'nausea 恶心'), e('🤮', 'vomit 呕吐'), e('🥵', 'hot 热'),
      e('🥶', 'cold 冷'), e('🥴', 'woozy 晕'), e('😵', 'dizzy 晕倒'), e('🤯', 'mind blown 震惊 爆炸'),
      e('🤠', 'cowboy 牛仔'), e('🥳', 'party celebrate 庆祝 派对'), e('😎', 'cool sunglasses 酷'), e('🤓', 'nerd 书呆子'),
      e('😕', 'confused 困惑'), e('😟', 'worried 担心'), e('🙁', 'frown 皱眉'), e('😮', 'wow open mouth 惊讶 哇'),
      e('😲', 'astonished 吃惊'), e('😳', 'flushed 脸红'), e('🥺', 'pleading puppy 可怜'), e('😨', 'fearful 害怕'),
      e('😰', 'anxious sweat 焦虑'), e('😢', 'cry sad 哭 难过'), e('😭', 'sob cry 大哭'), e('😱', 'scream 尖叫'),
      e('😖', 'confounded 纠结'), e('😞', 'disappointed 失望'), e('😓', 'downcast sweat 汗'), e('😩', 'weary 累'),
      e('😫', 'tired 疲惫'), e('🥱', 'yawn 打哈欠'), e('😤', 'triumph huff 生气 哼'), e('😡', 'angry pout 愤怒'),
      e('😠', 'angry 生气'), e('🤬', 'cursing 骂人'), e('😈', 'devil 恶魔'), e('💀', 'skull dead 骷髅'),
      e('💩', 'poop 便便'), e('🤡', 'clown 小丑'), e('👻', 'ghost 鬼'), e('👽', 'alien 外星人'),
      e('🤖', 'robot 机器人'), e('😺', 'cat smile 猫'), e('🙈', 'see no evil monkey 捂眼'), e('🙊', 'speak no evil 捂嘴'),
    ],
  },
  {
    id: 'people',
    icon: '👍',
    emoji: [
      e('👍', 'thumbs up like yes ok 赞 好'), e('👎', 'thumbs down dislike no 踩'), e('👌', 'ok perfect 好的'), e('✌️', 'victory peace 耶'),
      e('🤞', 'fingers crossed luck 祈祷 好运'), e('🤟', 'love you 爱你'), e('🤘', 'rock 摇滚'), e('🤙', 'call me 打电话'),
      e('👈', 'left point 左'), e('👉', 'right point 右'), e('👆', 'up point 上'), e('👇', 'down point 下'),
      e('☝️', 'index up 一'), e('✋', 'hand stop 停'), e('👋', 'wave hello bye 挥手 你好 再见'), e('🖐️', 'hand five 五'),
      e('👏', 'clap applause 鼓掌'), e('🙌', 'raise hands hooray 欢呼'), e('👐', 'open hands 张开'), e('🤲', 'palms 捧'),
      e('🤝', 'handshake deal 握手'), e('🙏', 'pray thanks please 祈祷 谢谢 拜托'), e('✍️', 'write 写'), e('💪', 'strong muscle 加油 强壮'),
      e('🧠', 'brain 大脑'), e('👀', 'eyes look 看'), e('👁️', 'eye 眼睛'), e('👄', 'mouth 嘴'),
      e('👶', 'baby 宝宝'), e('🧒', 'child 孩子'), e('👦', 'boy 男孩'), e('👧', 'girl 女孩'),
      e('🧑', 'person 人'), e('👨', 'man 男人'), e('👩', 'woman 女人'), e('🧓', 'older person 老人'),
      e('👮', 'police 警察'), e('👷', 'worker 工人'), e('🧑‍💻', 'developer coder 程序员'), e('🧑‍🏫', 'teacher 老师'),
      e('🧑‍⚕️', 'doctor health 医生'), e('🧑‍🍳', 'cook chef 厨师'), e('🤷', 'shrug 耸肩'), e('🤦', 'facepalm 捂脸'),
      e('🙋', 'raise hand 举手'), e('🙇', 'bow 鞠躬'), e('💁', 'tipping hand 请'), e('🙅', 'no gesture 不行'),
      e('🏃', 'run 跑'), e('🚶', 'walk 走'), e('💃', 'dance 跳舞'), e('👨‍👩‍👧', 'family 家庭'),
    ],
  },
  {
    id: 'nature',
    icon: '🐶',
    emoji: [
      e('🐶', 'dog puppy 狗'), e('🐱', 'cat 猫'), e('🐭', 'mouse 老鼠'), e('🐹', 'hamster 仓鼠'),
      e('🐰', 'rabbit bunny 兔子'), e('🦊', 'fox 狐狸'), e('🐻', 'bear 熊'), e('🐼', 'panda 熊猫'),
      e('🐨', 'koala 考拉'), e('🐯', 'tiger 老虎'), e('🦁', 'lion 狮子'), e('🐮', 'cow 牛'),
      e('🐷', 'pig 猪'), e('🐸', 'frog 青蛙'), e('🐵', 'monkey 猴子'), e('🐔', 'chicken 鸡'),
      e('🐧', 'penguin 企鹅'), e('🐦', 'bird 鸟'), e('🦆', 'duck 鸭子'), e('🦉', 'owl 猫头鹰'),
      e('🐺', 'wolf 狼'), e('🐴', 'horse 马'), e('🦄', 'unicorn 独角兽'), e('🐝', 'bee 蜜蜂'),
      e('🦋', 'butterfly 蝴蝶'), e('🐢', 'turtle 乌龟'), e('🐍', 'snake 蛇'), e('🐲', 'dragon 龙'),
      e('🐳', 'whale 鲸鱼'), e('🐬', 'dolphin 海豚'), e('🐟', 'fish 鱼'), e('🐙', 'octopus 章鱼'),
      e('🌸', 'cherry blossom flower 樱花'), e('🌹', 'rose 玫瑰'), e('🌻', 'sunflower 向日葵'), e('🌷', 'tulip 郁金香'),
      e('🌱', 'seedling 发芽'), e('🌲', 'tree evergreen 树'), e('🍀', 'clover luck 四叶草'), e('🍁', 'maple leaf 枫叶'),
      e('🌞', 'sun 太阳'), e('🌙', 'moon 月亮'), e('⭐', 'star 星星'), e('🌈', 'rainbow 彩虹'),
      e('☁️', 'cloud 云'), e('🌧️', 'rain 雨'), e('❄️', 'snow 雪'), e('⚡', 'lightning 闪电'),
    ],
  },
  {
    id: 'food',
    icon: '🍎',
    emoji: [
      e('🍎', 'apple 苹果'), e('🍊', 'orange 橘子'), e('🍋', 'lemon 柠檬'), e('🍌', 'banana 香蕉'),
      e('🍉', 'watermelon 西瓜'), e('🍇', 'grapes 葡萄'), e('🍓', 'strawberry 草莓'), e('🍑', 'peach 桃'),
      e('🍒', 'cherries 樱桃'), e('🥭', 'mango 芒果'), e('🍍', 'pineapple 菠萝'), e('🥑', 'avocado 牛油果'),
      e('🍅', 'tomato 番茄'), e('🌶️', 'chili hot 辣椒'), e('🌽', 'corn 玉米'), e('🥕', 'carrot 胡萝卜'),
      e('🍞', 'bread 面包'), e('🧀', 'cheese 奶酪'), e('🍳', 'egg cooking 煎蛋'), e('🍔', 'burger 汉堡'),
      e('🍟', 'fries 薯条'), e('🍕', 'pizza 披萨'), e('🌭', 'hot dog 热狗'), e('🥪', 'sandwich 三明治'),
      e('🍜', 'noodles ramen 面条'), e('🍚', 'rice 米饭'), e('🍛', 'curry 咖喱'), e('🍣', 'sushi 寿司'),
      e('🥟', 'dumpling 饺子'), e('🍤', 'shrimp 虾'), e('🥮', 'mooncake 月饼'), e('🍡', 'dango 团子'),
      e('🍰', 'cake 蛋糕'), e('🎂', 'birthday cake 生日蛋糕'), e('🍦', 'ice cream 冰淇淋'), e('🍩', 'doughnut 甜甜圈'),
      e('🍪', 'cookie 饼干'), e('🍫', 'chocolate 巧克力'), e('🍬', 'candy 糖'), e('🍿', 'popcorn 爆米花'),
      e('☕', 'coffee 咖啡'), e('🍵', 'tea 茶'), e('🧋', 'bubble tea 奶茶'), e('🥤', 'drink 饮料'),
      e('🍺', 'beer 啤酒'), e('🍻', 'cheers beers 干杯'), e('🍷', 'wine 红酒'), e('🥂', 'toast champagne 庆祝 干杯'),
    ],
  },
  {
    id: 'activities',
    icon: '⚽',
    emoji: [
      e('⚽', 'soccer football 足球'), e('🏀', 'basketball 篮球'), e('🏈', 'american football 橄榄球'), e('⚾', 'baseball 棒球'),
      e('🎾', 'tennis 网球'), e('🏐', 'volleyball 排球'), e('🏓', 'ping pong 乒乓球'), e('🏸', 'badminton 羽毛球'),
      e('🥊', 'boxing 拳击'), e('🏊', 'swim 游泳'), e('🚴', 'bike cycling 骑车'), e('⛷️', 'ski 滑雪'),
      e('🏆', 'trophy win 奖杯 冠军'), e('🥇', 'gold medal first 金牌'), e('🎖️', 'medal 奖章'), e('🎯', 'target bullseye 目标'),
      e('🎮', 'game controller 游戏'), e('🎲', 'dice 骰子'), e('🧩', 'puzzle 拼图'), e('♟️', 'chess 国际象棋'),
      e('🎨', 'art paint 画画'), e('🎬', 'movie film 电影'), e('🎤', 'sing microphone 唱歌'), e('🎧', 'headphones music 耳机'),
      e('🎵', 'music note 音乐'), e('🎸', 'guitar 吉他'), e('🎹', 'piano 钢琴'), e('📚', 'books study 书 学习'),
      e('🎉', 'party tada congratulations 庆祝 恭喜'), e('🎊', 'confetti 彩带'), e('🎈', 'balloon 气球'), e('🎁', 'gift present 礼物'),
      e('🧧', 'red envelope 红包'), e('🎆', 'fireworks 烟花'), e('🎄', 'christmas tree 圣诞'), e('🎃', 'halloween pumpkin 南瓜'),
    ],
  },
  {
    id: 'travel',
    icon: '✈️',
    emoji: [
      e('🚗', 'car 汽车'), e('🚕', 'taxi 出租车'), e('🚌', 'bus 公交'), e('🚇', 'metro subway 地铁'),
      e('🚄', 'train high speed 高铁'), e('✈️', 'plane flight 飞机'), e('🚀', 'rocket launch ship 火箭 发布'), e('🚲', 'bicycle 自行车'),
      e('🛵', 'scooter 电动车'), e('⛵', 'sailboat 帆船'), e('🚢', 'ship 轮船'), e('⛽', 'fuel 加油站'),
      e('🏠', 'home house 家'), e('🏢', 'office building 办公楼'), e('🏫', 'school 学校'), e('🏥', 'hospital 医院'),
      e('🏦', 'bank 银行'), e('🏨', 'hotel 酒店'), e('⛩️', 'shrine 神社'), e('🗼', 'tower 塔'),
      e('🏖️', 'beach 海滩'), e('⛰️', 'mountain 山'), e('🏕️', 'camping 露营'), e('🌋', 'volcano 火山'),
      e('🗺️', 'map 地图'), e('🧭', 'compass 指南针'), e('⏰', 'alarm clock 闹钟'), e('⌛', 'hourglass time 沙漏'),
    ],
  },
  {
    id: 'objects',
    icon: '💡',
    emoji: [
      e('💡', 'idea bulb 想法 灯泡'), e('📱', 'phone mobile 手机'), e('💻', 'laptop computer 电脑'), e('⌨️', 'keyboard 键盘'),
      e('🖥️', 'desktop 台式机'), e('🖨️', 'printer 打印机'), e('📷', 'camera 相机'), e('📺', 'tv 电视'),
      e('🔋', 'battery 电池'), e('🔌', 'plug 插头'), e('💰', 'money bag 钱'), e('💳', 'card 银行卡'),
      e('📦', 'package box 快递 包裹'), e('✉️', 'mail envelope 邮件'), e('📝', 'memo note 笔记'), e('📅', 'calendar 日历'),
      e('📌', 'pin 图钉'), e('📎', 'paperclip 回形针'), e('✂️', 'scissors 剪刀'), e('🔒', 'lock 锁'),
      e('🔑', 'key 钥匙'), e('🔨', 'hammer 锤子'), e('🛠️', 'tools 工具'), e('⚙️', 'gear settings 设置'),
      e('🧪', 'test tube 实验'), e('💊', 'pill medicine 药'), e('🩺', 'stethoscope 听诊器'), e('🧹', 'broom 扫帚'),
      e('🛒', 'cart shopping 购物车'), e('🎓', 'graduation 毕业'), e('👓', 'glasses 眼镜'), e('☂️', 'umbrella 伞'),
    ],
  },
  {
    id: 'symbols',
    icon: '❤️',
    emoji: [
      e('❤️', 'heart love red 爱心 红心'), e('🧡', 'orange heart 橙心'), e('💛', 'yellow heart 黄心'), e('💚', 'green heart 绿心'),
      e('💙', 'blue heart 蓝心'), e('💜', 'purple heart 紫心'), e('🖤', 'black heart 黑心'), e('🤍', 'white heart 白心'),
      e('💔', 'broken heart 心碎'), e('💕', 'two hearts 两颗心'), e('💯', 'hundred perfect 一百分'), e('💢', 'anger 怒'),
      e('💥', 'boom collision 爆炸'), e('💫', 'dizzy star 眩晕'), e('💦', 'sweat drops 汗滴'), e('💤', 'zzz sleep 睡'),
      e('🔥', 'fire lit hot 火 厉害'), e('✨', 'sparkles 闪亮'), e('⭐', 'star 星'), e('✅', 'check done yes 完成 对'),
      e('❌', 'cross no wrong 错'), e('❓', 'question 问号'), e('❗', 'exclamation 感叹号'), e('⚠️', 'warning 警告'),
      e('⛔', 'no entry 禁止'), e('🚫', 'prohibited 禁止'), e('🆗', 'ok button 好'), e('🆕', 'new 新'),
      e('🔴', 'red circle 红'), e('🟢', 'green circle 绿'), e('🔵', 'blue circle 蓝'), e('➕', 'plus 加'),
      e('➖', 'minus 减'), e('➡️', 'right arrow 右'), e('⬅️', 'left arrow 左'), e('🔁', 'repeat 重复'),
      e('1️⃣', 'one 一'), e('2️⃣', 'two 二'), e('3️⃣', 'three 三'), e('🇨🇳', 'china flag 中国'),
    ],
  },
];

/** Entries whose words contain every term of the query (case-insensitive), in category order. */
export function searchEmoji(query: string, limit = 64): EmojiEntry[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return [];
  const out: EmojiEntry[] = [];
  for (const c of EMOJI_CATEGORIES) {
    for (const entry of c.emoji) {
      if (terms.every((t) => entry.words.includes(t) || entry.emoji === t) && !out.some((o) => o.emoji === entry.emoji)) out.push(entry);
      if (out.length >= limit) return out;
    }
  }
  return out;
}
